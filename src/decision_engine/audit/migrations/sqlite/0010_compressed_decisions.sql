-- Decision inputs and outputs are stored zstd-compressed with a pinned dictionary
-- (audit/codec.py): an output's ~6.7 KB of canonical JSON becomes ~450 bytes. The hash
-- stays over the canonical text, so nothing already chained changes meaning; rows
-- written before this keep their text and read exactly as before. SQLite keeps a blob
-- in a TEXT column as it is, so the schema is unchanged: this migration marks the store
-- as one that may hold compressed columns, so a build that cannot read them refuses it.
SELECT 1;
