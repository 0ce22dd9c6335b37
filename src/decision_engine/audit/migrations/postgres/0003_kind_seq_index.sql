-- Replay reads decisions in seq-range chunks and the API pages records of one kind in
-- seq order. Without this index SQLite (before ANALYZE) answered "kind = ? AND seq
-- BETWEEN ? AND ?" from the (kind, decision_date) index, scanning every decision for
-- every chunk: quadratic in the size of the store.
CREATE INDEX audit_records_kind_seq ON audit_records (kind, seq);
