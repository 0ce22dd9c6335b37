-- The hash-chained audit log, the identifiers kept outside it, and the chain head.
-- Append-only is enforced here, not only in Python: UPDATE, DELETE and TRUNCATE are
-- refused, and an INSERT must extend the current head (seq + 1, prev_hash = head hash).
-- Appends lock the chain_head row (SELECT ... FOR UPDATE) so concurrent writers queue.
-- For defence against a compromised application account, also run the application as a
-- role with only SELECT/INSERT on audit_records (see docs/audit.md).

CREATE TABLE audit_records (
    seq            BIGINT PRIMARY KEY CHECK (seq >= 1),
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
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_records_no_update_delete BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE FUNCTION audit_extend_head() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq  BIGINT;
    head_hash TEXT;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM chain_head WHERE id = 1 FOR UPDATE;
    IF NEW.seq IS DISTINCT FROM head_seq + 1 OR NEW.prev_hash IS DISTINCT FROM head_hash THEN
        RAISE EXCEPTION 'audit_records: insert does not extend the chain head (head seq %)',
            head_seq USING ERRCODE = 'serialization_failure';
    END IF;
    UPDATE chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_records_extend_head BEFORE INSERT ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_extend_head();

CREATE FUNCTION chain_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.id IS DISTINCT FROM OLD.id
       OR NEW.seq IS DISTINCT FROM OLD.seq + 1 THEN
        RAISE EXCEPTION 'chain_head only moves forward by one record'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER chain_head_forward_only BEFORE UPDATE OR DELETE ON chain_head
    FOR EACH ROW EXECUTE FUNCTION chain_head_forward_only();
CREATE TRIGGER chain_head_no_truncate BEFORE TRUNCATE ON chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

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

CREATE FUNCTION subjects_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE'
       OR NEW.pseudonym IS DISTINCT FROM OLD.pseudonym
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR OLD.erased_at IS NOT NULL
       OR NEW.erased_at IS NULL
       OR NEW.erasure_id IS NULL
       OR NEW.salt IS NOT NULL
       OR NEW.case_reference IS NOT NULL
       OR NEW.date_of_birth IS NOT NULL
       OR NEW.monitoring IS NOT NULL THEN
        RAISE EXCEPTION 'subjects: the only permitted change is erasure'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER subjects_erase_only BEFORE UPDATE OR DELETE ON subjects
    FOR EACH ROW EXECUTE FUNCTION subjects_erase_only();
CREATE TRIGGER subjects_no_truncate BEFORE TRUNCATE ON subjects
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
