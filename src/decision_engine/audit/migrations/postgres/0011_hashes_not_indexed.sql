-- prev_hash and hash lose their UNIQUE indexes. Nothing looks a record up by either, the
-- chain cannot fork without them (audit_records_extend_head refuses an insert whose seq
-- is not head + 1 or whose prev_hash is not the head's hash, under the chain head's row
-- lock), and a hash covers its record's seq, so two records cannot share one. Each index
-- cost an insert at a random place in a large B-tree and ~100 bytes a decision (issue 14).
ALTER TABLE audit_records DROP CONSTRAINT audit_records_prev_hash_key,
                          DROP CONSTRAINT audit_records_hash_key;
