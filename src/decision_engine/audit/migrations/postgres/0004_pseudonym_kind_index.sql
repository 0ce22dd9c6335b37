-- Joins from subjects to their decision ("r.pseudonym = s.pseudonym AND r.kind =
-- 'decision'": verify, erase) must look the decision up by pseudonym. With only a
-- one-column pseudonym index, SQLite without statistics preferred (kind, seq) and
-- scanned every decision per subject, so verifying 100,000 records took minutes.
CREATE INDEX audit_records_pseudonym_kind ON audit_records (pseudonym, kind);
DROP INDEX audit_records_pseudonym;
