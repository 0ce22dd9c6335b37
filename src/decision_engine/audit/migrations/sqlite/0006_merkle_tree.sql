-- RFC 6962 Merkle tree over the audit records (see audit/merkle.py). Node (level, idx)
-- is the hash of the complete subtree over leaves [idx * 2^level, (idx + 1) * 2^level);
-- leaf idx is record seq idx + 1. Rows are written in the same transaction as the
-- records they cover, so a proof for one record reads O(log^2 n) rows, never the log.
-- A store that had records before this migration gets its nodes on its next append.
CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL CHECK (level >= 0 AND level < 64),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
BEGIN
    SELECT RAISE(ABORT, 'merkle_nodes is append-only: UPDATE refused');
END;

CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
BEGIN
    SELECT RAISE(ABORT, 'merkle_nodes is append-only: DELETE refused');
END;

-- Signed tree heads issued by 'audit sign-tree-head' (the signing key is never stored).
-- Publish each one off this host: it is what makes a later rewrite detectable.
CREATE TABLE tree_heads (
    tree_size  INTEGER NOT NULL CHECK (tree_size >= 0),
    timestamp  INTEGER NOT NULL,
    root_hash  TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    signature  TEXT NOT NULL,
    PRIMARY KEY (tree_size, timestamp, key_id)
);

CREATE TRIGGER tree_heads_no_update BEFORE UPDATE ON tree_heads
BEGIN
    SELECT RAISE(ABORT, 'tree_heads is append-only: UPDATE refused');
END;

CREATE TRIGGER tree_heads_no_delete BEFORE DELETE ON tree_heads
BEGIN
    SELECT RAISE(ABORT, 'tree_heads is append-only: DELETE refused');
END;
