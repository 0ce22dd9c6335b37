-- prev_hash and hash lose their UNIQUE indexes. Nothing looks a record up by either, the
-- chain cannot fork without them (audit_records_extend_head refuses an insert whose seq
-- is not head + 1 or whose prev_hash is not the head's hash, and the head only moves
-- forward), and a hash covers its record's seq, so two records cannot share one. Each
-- index cost ~91 bytes a decision and an insert at a random place in a large B-tree:
-- together ~8 % of the store, and ~15 % of recording's time (issue 14).
-- SQLite cannot drop a UNIQUE constraint, so the table is rebuilt (once, on upgrade; the
-- freed pages are reused by later appends) with its indexes and triggers as they were.
DROP TRIGGER chain_head_forward_only;

CREATE TABLE audit_records_rebuilt (
    seq            INTEGER PRIMARY KEY CHECK (seq >= 1),
    id             TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL
                   CHECK (kind IN ('decision', 'final_decision', 'erasure', 'access')),
    recorded_at    TEXT NOT NULL,
    service_area   TEXT NOT NULL,
    actor_role     TEXT NOT NULL,
    actor_id       TEXT NOT NULL,
    pseudonym      TEXT,
    subject_digest TEXT,
    ref_id         TEXT,
    family         TEXT,
    policy_version TEXT,
    policy_sha256  TEXT,
    decision_date  TEXT,
    outcome        TEXT,
    input          TEXT,
    output         TEXT,
    detail         TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
INSERT INTO audit_records_rebuilt SELECT * FROM audit_records ORDER BY seq;
DROP TABLE audit_records;
ALTER TABLE audit_records_rebuilt RENAME TO audit_records;

CREATE INDEX audit_records_kind_date ON audit_records (kind, decision_date);
CREATE INDEX audit_records_area ON audit_records (service_area, kind, seq);
CREATE INDEX audit_records_ref ON audit_records (ref_id, kind, seq);
CREATE INDEX audit_records_kind_seq ON audit_records (kind, seq);
CREATE INDEX audit_records_subject ON audit_records
    (pseudonym, kind, subject_digest, seq, recorded_at);

CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
    SELECT RAISE(ABORT, 'audit_records is append-only: DELETE refused');
END;

CREATE TRIGGER audit_records_extend_head BEFORE INSERT ON audit_records
WHEN NEW.seq IS NOT (SELECT seq + 1 FROM chain_head WHERE id = 1)
  OR NEW.prev_hash IS NOT (SELECT hash FROM chain_head WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'audit_records: insert does not extend the chain head');
END;

CREATE TRIGGER audit_records_advance_head AFTER INSERT ON audit_records
BEGIN
    UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
END;

CREATE TRIGGER chain_head_forward_only BEFORE UPDATE ON chain_head
WHEN NEW.id IS NOT OLD.id
  OR NEW.seq IS NOT OLD.seq + 1
  OR NEW.hash IS NOT (SELECT hash FROM audit_records WHERE seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'chain_head only moves forward to the newest record');
END;
