-- subjects.created_at is bound to the chain: from now on it equals the recorded_at of
-- its decision record (written in the same transaction), and verify checks that.
-- Subjects recorded before this migration carried an earlier clock reading; for them
-- verify can only check created_at <= recorded_at. exact_after_seq says where the
-- exact rule starts (0 on a new store: every subject is checked exactly).
CREATE TABLE subject_clock (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    exact_after_seq INTEGER NOT NULL
);
INSERT INTO subject_clock (id, exact_after_seq) SELECT 1, seq FROM chain_head WHERE id = 1;

CREATE TRIGGER subject_clock_no_update BEFORE UPDATE ON subject_clock
BEGIN
    SELECT RAISE(ABORT, 'subject_clock is fixed when the migration runs');
END;

CREATE TRIGGER subject_clock_no_delete BEFORE DELETE ON subject_clock
BEGIN
    SELECT RAISE(ABORT, 'subject_clock is fixed when the migration runs');
END;
