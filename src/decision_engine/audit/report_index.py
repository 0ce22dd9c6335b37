"""The report index: per decision, the few values the board reports group by.

A report over a million decisions cannot parse each decision's 5–8 KB of JSON, in Python
or in SQL (that took 17–32 s per report at 1,000,000). So each decision also gets one
narrow row in ``report_index``, written in the same transaction as the decision: its
family, date, area, version, recommended outcome, the child's age, and :func:`facts` — a
small JSON object of what the reports read out of the decision. A final decision updates
its decision's row (``final_outcome`` = the latest one) in its own transaction.

The index is derived, outside the hash chain, and never the evidence: every value in it
is recomputed from the chained records by :func:`rebuild_rows`, and :func:`check`
compares the two (``tests/audit/test_report_index.py``). Decisions recorded before the
index existed (migration 0008) are indexed by :func:`catch_up`, in batches, the first
time a report is asked for. Monitoring data is never copied here: reports join
``subjects`` live, so erasure still removes it from every later report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from decision_engine.audit import codec
from decision_engine.audit.db import Database, Snapshot
from decision_engine.engine.decision import Decision

COLUMNS = ("seq", "family", "decision_date", "service_area", "pseudonym", "policy_version",
           "outcome", "age", "facts", "final_seq", "final_outcome")
_INSERT = (f"INSERT INTO report_index ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in COLUMNS)})")
_FINAL = "UPDATE report_index SET final_seq = ?, final_outcome = ? WHERE seq = ?"
_CATCH_UP_BATCH = 5000

REFER_BACK = "refer_back"
"""Reasons whose effect indicates an outcome starting with this sent a case back."""
GROUND_REJECTED = "ground_rejected_"
"""Flags naming a ground rejected as not making a PACE transfer impracticable."""
PACE_OUTPUTS = ("accommodation_requested", "accommodation_achieved", "certificate_limb")


def facts(derived: Mapping[str, Any], available: Iterable[str], outputs: Mapping[str, Any],
          flags: Iterable[str], reasons: Iterable[tuple[str, Mapping[str, Any]]]) -> bytes:
    """The report facts of one decision, as compact JSON with sorted keys (only the keys
    that apply, so most decisions share a handful of distinct values):

    * ``available`` — the outcomes open to the decision (disproportionality: was an
      out-of-court outcome open where a charge was chosen);
    * ``duty_applies`` — PACE: charged and refused bail;
    * ``grounds_rejected`` — PACE: grounds rejected as not making a transfer impracticable;
    * ``accommodation_requested`` / ``accommodation_achieved`` / ``certificate_limb`` —
      PACE outputs (from cjca-2015-r2);
    * ``refer_back_rules`` — pathway check: the rules that sent the case back (the
      checklist items missed).
    """
    out: dict[str, Any] = {"available": sorted(available)}
    if "duty_applies" in derived:
        out["duty_applies"] = derived["duty_applies"] is True
    rejected = sorted(f.removeprefix(GROUND_REJECTED) for f in flags
                      if f.startswith(GROUND_REJECTED))
    if rejected:
        out["grounds_rejected"] = rejected
    for name in PACE_OUTPUTS:
        if name in outputs:
            out[name] = outputs[name]
    missed = sorted({rule for rule, effect in reasons
                     if str(effect.get("indicate", "")).startswith(REFER_BACK)})
    if missed:
        out["refer_back_rules"] = missed
    return orjson.dumps(out, option=orjson.OPT_SORT_KEYS)


def facts_of_json(decision: Mapping[str, Any]) -> bytes:
    """:func:`facts` of a decision's JSON (a recorded ``output``, any decision format)."""
    outcomes = decision.get("outcomes") or {}
    return facts(decision.get("derived") or {},
                 (name for name, status in outcomes.items()
                  if isinstance(status, Mapping) and status.get("available") is True),
                 decision.get("outputs") or {}, decision.get("flags") or [],
                 ((str(r.get("rule")), r.get("effect") or {})
                  for r in decision.get("reasons") or [] if isinstance(r, Mapping)))


def facts_of_decision(decision: Decision) -> bytes:
    """:func:`facts` read straight off an engine :class:`Decision` (no JSON parse); equal
    to :func:`facts_of_json` of its canonical JSON (tested)."""
    return facts(decision.derived,
                 (name for name, status in decision.outcomes.items() if status.available),
                 decision.outputs, decision.flags,
                 ((r.rule, r.effect) for r in decision.reasons))


def age_of(input_facts: Mapping[str, Any]) -> int | None:
    """The child's age, where the decision's input holds it."""
    age = input_facts.get("age")
    return age if isinstance(age, int) and not isinstance(age, bool) else None


def insert(db: Database, rows: Sequence[Sequence[Any]]) -> None:
    """Index decisions just chained (``COLUMNS`` order, finals empty); inside the write."""
    if rows:
        db.executemany(_INSERT, rows)


def final_recorded(db: Database, decision_seq: int, final_seq: int, outcome: str) -> None:
    """A final decision became current for the decision at *decision_seq*; inside the
    write that chains it. (A decision not indexed yet gets it from :func:`catch_up`.)"""
    db.execute(_FINAL, (final_seq, outcome, decision_seq))


def rebuild_rows(source: Database | Snapshot, after: int, upto: int,
                 ) -> list[tuple[Any, ...]]:
    """Index rows for the decisions with ``after < seq <= upto``, recomputed from the
    chained records alone (their outputs and their latest final decisions)."""
    rows = source.query(
        "SELECT d.seq, d.family, d.decision_date, d.service_area, d.pseudonym, "
        "d.policy_version, d.outcome, d.input, d.output, f.seq, f.outcome "
        "FROM audit_records d LEFT JOIN audit_records f ON f.seq = (SELECT max(x.seq) "
        "FROM audit_records x WHERE x.ref_id = d.id AND x.kind = 'final_decision') "
        "WHERE d.kind = 'decision' AND d.seq > ? AND d.seq <= ? ORDER BY d.seq",
        (after, upto))
    out = []
    for seq, family, day, area, pseudonym, version, outcome, inp, output, fseq, fout in rows:
        out.append((int(seq), family, day, area, pseudonym, version, outcome,
                    age_of(orjson.loads(codec.unpack(inp))),
                    facts_of_json(orjson.loads(codec.unpack(output))).decode(),
                    None if fseq is None else int(fseq), fout))
    return out


def catch_up(db: Database) -> int:
    """Index decisions recorded before the index existed; returns how many it indexed.

    One write transaction per batch (appends wait only that long), resumable: the
    backlog row remembers how far it got. A no-op (one read) once done.
    """
    done = 0
    while True:
        row = db.query_one("SELECT through_seq, done_seq FROM report_index_backlog "
                           "WHERE id = 1")
        if row is None or int(row[1]) >= int(row[0]):
            return done
        with db.write():
            row = db.query_one("SELECT through_seq, done_seq FROM report_index_backlog "
                               "WHERE id = 1")
            assert row is not None
            through, start = int(row[0]), int(row[1])
            if start >= through:
                return done
            upto = min(through, start + _CATCH_UP_BATCH)
            rows = rebuild_rows(db, start, upto)
            insert(db, rows)
            db.execute("UPDATE report_index_backlog SET done_seq = ? WHERE id = 1", (upto,))
            done += len(rows)


def check(snap: Snapshot, upto: int, batch: int = 20_000) -> list[str]:
    """Differences between the stored index and one rebuilt from the chained records up
    to *upto* (empty when they agree), read in batches of *batch* records."""
    problems = []
    for after in range(0, upto, batch):
        end = min(upto, after + batch)
        stored = {int(r[0]): tuple(r) for r in snap.query(
            f"SELECT {', '.join(COLUMNS)} FROM report_index WHERE seq > ? AND seq <= ?",
            (after, end))}
        for row in rebuild_rows(snap, after, end):
            have = stored.pop(row[0], None)
            if have is None:
                problems.append(f"decision seq {row[0]}: not indexed")
            elif have != row:
                problems.append(f"decision seq {row[0]}: index {have!r} != records {row!r}")
        problems.extend(f"seq {seq}: indexed but not a decision" for seq in sorted(stored))
    return problems

