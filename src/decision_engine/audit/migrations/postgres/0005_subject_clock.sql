-- subjects.created_at is bound to the chain: from now on it equals the recorded_at of
-- its decision record (written in the same transaction), and verify checks that.
-- Subjects recorded before this migration carried an earlier clock reading; for them
-- verify can only check created_at <= recorded_at. exact_after_seq says where the
-- exact rule starts (0 on a new store: every subject is checked exactly).
CREATE TABLE subject_clock (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    exact_after_seq BIGINT NOT NULL
);
INSERT INTO subject_clock (id, exact_after_seq) SELECT 1, seq FROM chain_head WHERE id = 1;

CREATE TRIGGER subject_clock_no_change BEFORE UPDATE OR DELETE ON subject_clock
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER subject_clock_no_truncate BEFORE TRUNCATE ON subject_clock
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
