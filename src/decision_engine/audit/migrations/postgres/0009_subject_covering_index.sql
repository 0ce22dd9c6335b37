-- Verification checks every subject against its decision (SUBJECTS_SQL: the chained
-- subject_digest, seq and recorded_at). This index carries the three values, so the
-- join can be answered from the index (an index-only scan where the visibility map
-- allows) instead of reading each decision's whole row.
CREATE INDEX audit_records_subject ON audit_records (pseudonym, kind)
    INCLUDE (subject_digest, seq, recorded_at);
DROP INDEX audit_records_pseudonym_kind;
