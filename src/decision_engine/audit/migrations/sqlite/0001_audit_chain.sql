-- The hash-chained audit log, the identifiers kept outside it, and the chain head.
-- Append-only is enforced here, not only in Python: UPDATE and DELETE are refused,
-- and an INSERT must extend the current head (seq + 1, prev_hash = head hash).

CREATE TABLE audit_records (
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
    prev_hash      TEXT NOT NULL UNIQUE,
    hash           TEXT NOT NULL UNIQUE
);

CREATE INDEX audit_records_kind_date ON audit_records (kind, decision_date);
CREATE INDEX audit_records_area ON audit_records (service_area, kind, seq);
CREATE INDEX audit_records_ref ON audit_records (ref_id, kind, seq);
CREATE INDEX audit_records_pseudonym ON audit_records (pseudonym);

CREATE TABLE chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

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

CREATE TRIGGER chain_head_no_delete BEFORE DELETE ON chain_head
BEGIN
    SELECT RAISE(ABORT, 'chain_head cannot be deleted');
END;

-- Personal identifiers, keyed by a random pseudonym. The only change allowed is an
-- erasure: every identifier (and the digest salt) set to NULL, erased_at and erasure_id set.
CREATE TABLE subjects (
    pseudonym      TEXT PRIMARY KEY,
    salt           TEXT,
    case_reference TEXT,
    date_of_birth  TEXT,
    monitoring     TEXT,
    created_at     TEXT NOT NULL,
    erased_at      TEXT,
    erasure_id     TEXT
);

CREATE INDEX subjects_case_reference ON subjects (case_reference);

CREATE TRIGGER subjects_erase_only BEFORE UPDATE ON subjects
WHEN NEW.pseudonym IS NOT OLD.pseudonym
  OR NEW.created_at IS NOT OLD.created_at
  OR OLD.erased_at IS NOT NULL
  OR NEW.erased_at IS NULL
  OR NEW.erasure_id IS NULL
  OR NEW.salt IS NOT NULL
  OR NEW.case_reference IS NOT NULL
  OR NEW.date_of_birth IS NOT NULL
  OR NEW.monitoring IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'subjects: the only permitted change is erasure');
END;

CREATE TRIGGER subjects_no_delete BEFORE DELETE ON subjects
BEGIN
    SELECT RAISE(ABORT, 'subjects: rows are erased (set to NULL), never deleted');
END;
