-- The report index (issue 12): per decision, the few values the board reports group by,
-- written in the same transaction as the decision (final_* by the transaction that
-- records its latest final decision), so a report over a million decisions reads narrow
-- rows instead of parsing each decision's JSON. Derived from the chained records and
-- outside the chain, like merkle_nodes: audit/report_index.py rebuilds and checks it.
-- Monitoring data is not copied here; reports join subjects, so erasure still applies.
-- Clustered by (family, decision_date): a report reads one contiguous range of rows.
CREATE TABLE report_index (
    seq            INTEGER NOT NULL,  -- the decision record's seq
    family         TEXT NOT NULL,
    decision_date  TEXT NOT NULL,
    service_area   TEXT NOT NULL,
    pseudonym      TEXT,
    policy_version TEXT NOT NULL,
    outcome        TEXT NOT NULL,     -- recommended
    age            INTEGER,
    facts          TEXT NOT NULL,     -- report_index.facts(): compact JSON, sorted keys
    final_seq      INTEGER,              -- the latest final decision, if any
    final_outcome  TEXT,
    PRIMARY KEY (family, decision_date, seq)
) WITHOUT ROWID;

CREATE UNIQUE INDEX report_index_seq ON report_index (seq);

-- Decisions recorded before this migration are indexed by report_index.catch_up(), in
-- batches, the first time a report is asked for: up to through_seq, done to done_seq.
CREATE TABLE report_index_backlog (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    through_seq INTEGER NOT NULL,
    done_seq    INTEGER NOT NULL
);
INSERT INTO report_index_backlog (id, through_seq, done_seq)
SELECT 1, seq, 0 FROM chain_head WHERE id = 1;
