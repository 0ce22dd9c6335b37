-- RFC 6962 Merkle tree over the audit records (see audit/merkle.py). Node (level, idx)
-- is the hash of the complete subtree over leaves [idx * 2^level, (idx + 1) * 2^level);
-- leaf idx is record seq idx + 1. Rows are written in the same transaction as the
-- records they cover, so a proof for one record reads O(log^2 n) rows, never the log.
-- A store that had records before this migration gets its nodes on its next append.
CREATE TABLE merkle_nodes (
    level SMALLINT NOT NULL CHECK (level >= 0 AND level < 64),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
);
CREATE TRIGGER merkle_nodes_no_update_delete BEFORE UPDATE OR DELETE ON merkle_nodes
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Signed tree heads issued by 'audit sign-tree-head' (the signing key is never stored).
-- Publish each one off this host: it is what makes a later rewrite detectable.
CREATE TABLE tree_heads (
    tree_size  BIGINT NOT NULL CHECK (tree_size >= 0),
    timestamp  BIGINT NOT NULL,
    root_hash  TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    signature  TEXT NOT NULL,
    PRIMARY KEY (tree_size, timestamp, key_id)
);
CREATE TRIGGER tree_heads_no_update_delete BEFORE UPDATE OR DELETE ON tree_heads
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER tree_heads_no_truncate BEFORE TRUNCATE ON tree_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
