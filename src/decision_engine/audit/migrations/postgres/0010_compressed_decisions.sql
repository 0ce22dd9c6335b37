-- Decision inputs and outputs are stored zstd-compressed with a pinned dictionary
-- (audit/codec.py): an output's ~6.7 KB of canonical JSON becomes ~450 bytes. The hash
-- stays over the canonical text, so nothing already chained changes meaning; rows
-- written before this keep their text (as UTF-8 bytes) and read exactly as before. The
-- columns become bytea to hold frames (the table is rewritten once, on upgrade).
ALTER TABLE audit_records ALTER COLUMN input TYPE BYTEA USING convert_to(input, 'UTF8'),
                          ALTER COLUMN output TYPE BYTEA USING convert_to(output, 'UTF8');
