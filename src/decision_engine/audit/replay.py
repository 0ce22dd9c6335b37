"""Replay recorded decisions: reproduce them, or measure the impact of another version.

*Reproduce* (no target version): each decision is re-evaluated from its stored input,
on its decision date, under its recorded policy version; it reproduces when the new
decision's canonical JSON equals the stored bytes exactly, otherwise a field-level diff
says what changed. *Impact* (``target_version``): the same decisions are evaluated under
another version and their outcomes compared, by family and outcome.

Throughput: rows are never shipped between processes. The parent splits the selected
seq range into chunks; worker processes (2 by default, one per core) each stream their
chunk from their own connection, evaluate with the compiled Python evaluator
(``engine="fast"``; ``"durable"`` is available for cross-checking) and send back only
counts and the decisions that differ. The parent merges and drives a progress bar.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson
from tqdm import tqdm

from decision_engine.audit import codec
from decision_engine.audit.canonical import canonical
from decision_engine.audit.config import database_url
from decision_engine.audit.db import open_database
from decision_engine.audit.diff import FieldDiff, json_diff
from decision_engine.audit.drafts import recorded_format
from decision_engine.audit.records import AccessContext, RecordFilter
from decision_engine.audit.store import Store

EngineKind = Literal["durable", "fast"]
Status = Literal["differs", "changed", "error"]


class Replayed(Protocol):
    """What replay needs from a re-made decision (the engine's ``Decision`` fits)."""

    @property
    def outcome(self) -> str: ...

    def canonical_json(self) -> bytes: ...

    def as_json(self) -> dict[str, Any]: ...


Evaluate = Callable[[str, dict[str, Any], dt.date, str, int, dict[str, str]], Replayed]
"""``(family, facts, decision date, policy version, decision format, consulted versions)
→ decision``; the consulted versions (family → version) are those the recorded decision
consulted (``consulted_versions``), so a later revision of a consulted family does not
change what a recorded decision replays to."""

_ROW_COLUMNS = ("seq", "id", "pseudonym", "family", "policy_version", "decision_date",
                "outcome", "input", "output", "detail")
_IN_PROCESS_BELOW = 20_000
"""Selections smaller than this are replayed in-process: workers cost ~1 s to start."""


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    target_version: str | None = None
    engine: EngineKind = "fast"
    policies_root: str | None = None
    workers: int = 2
    chunk: int = 10_000
    """Width of a work unit in seq numbers."""


@dataclass(frozen=True, slots=True)
class ReplayItem:
    """A decision worth reporting: it differs (reproduce), changes outcome (impact) or
    could not be evaluated."""

    status: Status
    seq: int
    decision_id: str
    pseudonym: str | None
    family: str
    decision_date: str
    recorded_version: str
    replay_version: str
    recorded_outcome: str
    replayed_outcome: str | None
    diffs: tuple[FieldDiff, ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "seq": self.seq, "decision_id": self.decision_id,
                "pseudonym": self.pseudonym, "family": self.family,
                "decision_date": self.decision_date,
                "recorded_version": self.recorded_version,
                "replay_version": self.replay_version,
                "recorded_outcome": self.recorded_outcome,
                "replayed_outcome": self.replayed_outcome,
                "diffs": [d.to_json() for d in self.diffs], "error": self.error}


@dataclass(slots=True)
class ChunkResult:
    processed: int = 0
    reproduced: int = 0
    differs: int = 0
    errors: int = 0
    transitions: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """``(family, recorded outcome, replayed outcome)`` → count, for every evaluated row."""
    versions: Counter[tuple[str, str]] = field(default_factory=Counter)
    """``(family, recorded version)`` → count."""
    items: list[ReplayItem] = field(default_factory=list)


@dataclass(slots=True)
class ReplayReport:
    mode: Literal["reproduce", "impact"]
    target_version: str | None
    engine: EngineKind
    selection: dict[str, str]
    selected: int = 0
    processed: int = 0
    reproduced: int = 0
    differs: int = 0
    errors: int = 0
    transitions: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    versions: Counter[tuple[str, str]] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def outcome_changed(self) -> int:
        return sum(n for (_, old, new), n in self.transitions.items() if old != new)

    @property
    def ok(self) -> bool:
        """Reproduce mode: everything reproduced. Impact mode: nothing failed to evaluate."""
        return self.errors == 0 and (self.mode == "impact" or self.differs == 0)

    def merge(self, chunk: ChunkResult) -> None:
        self.processed += chunk.processed
        self.reproduced += chunk.reproduced
        self.differs += chunk.differs
        self.errors += chunk.errors
        self.transitions.update(chunk.transitions)
        self.versions.update(chunk.versions)

    def summary_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "target_version": self.target_version, "engine": self.engine,
            "selection": self.selection, "selected": self.selected,
            "processed": self.processed, "reproduced": self.reproduced,
            "differs": self.differs, "errors": self.errors,
            "outcome_changed": self.outcome_changed,
            "recorded_versions": [{"family": f, "version": v, "count": n}
                                  for (f, v), n in sorted(self.versions.items())],
            "transitions": [{"family": f, "recorded_outcome": a, "replayed_outcome": b,
                             "count": n} for (f, a, b), n in sorted(self.transitions.items())],
            "elapsed_seconds": round(self.elapsed, 3),
        }


@functools.cache
def _registry(policies_root: str | None) -> Any:
    """One registry per root per process, so policies compile once, not once per replay."""
    from decision_engine.policy.registry import Registry

    return Registry.load(Path(policies_root) if policies_root else None)


def core_evaluator(policies_root: str | None, engine: EngineKind) -> Evaluate:
    """Evaluate with the product's engine over the registry at *policies_root*."""
    from decision_engine.engine import evaluate

    registry = _registry(policies_root)

    def run(family: str, facts: dict[str, Any], on: dt.date, version: str,
            fmt: int, pins: dict[str, str]) -> Replayed:
        return evaluate(family, facts, on, version, registry=registry, engine=engine,
                        fmt=fmt, pins=pins)

    return run


_POLICY_ENTRY = '"kind":"policy"'
"""How a consulted policy's provenance entry reads in a stored (canonical) output."""


def consulted_versions(output: str | bytes) -> dict[str, str]:
    """family → version of every policy a recorded decision consulted, from its
    provenance (entries of kind ``policy`` named ``family@version``)."""
    consulted = (_POLICY_ENTRY in output if isinstance(output, str)
                 else _POLICY_ENTRY.encode("ascii") in output)
    if not consulted:  # canonical JSON: no such entry, no parse (most records)
        return {}
    try:
        provenance = _loads(output).get("provenance") or []
    except (ValueError, AttributeError):
        return {}
    pins: dict[str, str] = {}
    for entry in provenance:
        if isinstance(entry, dict) and entry.get("kind") == "policy":
            family, _, version = str(entry.get("name", "")).partition("@")
            if family and version:
                pins[family] = version
    return pins


def _loads(text: str | bytes) -> Any:
    """Stored JSON (canonical, so orjson reads it; ``json`` for anything it refuses)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _who(row: Sequence[Any], replay_version: str) -> dict[str, Any]:
    """A reported decision's identification (built only for the few reported)."""
    seq, record_id, pseudonym, family, version, day, outcome = row[:7]
    return {"seq": seq, "decision_id": record_id, "pseudonym": pseudonym, "family": family,
            "decision_date": day, "recorded_version": version,
            "replay_version": replay_version, "recorded_outcome": outcome}


def replay_rows(rows: Iterable[Sequence[Any]], evaluate: Evaluate,
                target_version: str | None) -> ChunkResult:
    """Replay rows selected in ``_ROW_COLUMNS`` order (pure, so it is easy to test).

    Each decision is re-made in the decision format it was recorded in (its ``detail``
    says which; records from before formats were numbered are format 1)."""
    result = ChunkResult()
    transitions: Counter[tuple[str, str, str]] = Counter()
    versions: Counter[tuple[str, str]] = Counter()
    for row in rows:
        _, _, _, family, version, day, outcome, stored_facts, stored_output, detail = row
        facts, output = codec.unpack(stored_facts), codec.unpack(stored_output)
        versions[family, version] += 1
        replay_version = target_version or version
        try:
            new = evaluate(family, _loads(facts), dt.date.fromisoformat(day),
                           replay_version, recorded_format(detail),
                           consulted_versions(output))
        except Exception as exc:  # report every failure, keep going with the rest
            result.errors += 1
            result.items.append(ReplayItem(status="error", replayed_outcome=None,
                                           error=f"{type(exc).__name__}: {exc}"[:500],
                                           **_who(row, replay_version)))
            continue
        new_outcome = str(new.outcome)
        transitions[family, outcome, new_outcome] += 1
        if target_version is not None:
            if new_outcome != outcome:
                result.items.append(ReplayItem(status="changed", replayed_outcome=new_outcome,
                                               **_who(row, replay_version)))
            continue
        # Reproduced means: the decision's own canonical bytes equal the stored ones. The
        # reference encoder settles the (float / non-BMP) cases a fast encoder may differ on.
        stored = output.encode("utf-8")
        if new.canonical_json() == stored:
            result.reproduced += 1
            continue
        data = new.as_json()
        if canonical(data) == stored:
            result.reproduced += 1
            continue
        result.differs += 1
        result.items.append(ReplayItem(status="differs", replayed_outcome=new_outcome,
                                       diffs=tuple(json_diff(json.loads(output), data)),
                                       **_who(row, replay_version)))
    result.processed = sum(versions.values())
    result.transitions.update(transitions)
    result.versions.update(versions)
    return result


# -- worker side --------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(url: str, options: ReplayOptions, where: str, params: list[Any]) -> None:
    _WORKER.update(db=open_database(database_url(url)),
                   evaluate=core_evaluator(options.policies_root, options.engine),
                   target=options.target_version, where=where, params=params)


def chunk_sql(where: str) -> str:
    """One work unit: the selected decisions in a seq range (a range scan, plan tested)."""
    return (f"SELECT {', '.join(_ROW_COLUMNS)} FROM audit_records WHERE {where} "
            "AND seq >= ? AND seq <= ? ORDER BY seq")


def _run_chunk(bounds: tuple[int, int]) -> ChunkResult:
    db = _WORKER["db"]
    sql = chunk_sql(_WORKER["where"])
    with closing(db.stream(sql, [*_WORKER["params"], *bounds], batch=2000)) as rows:
        return replay_rows(rows, _WORKER["evaluate"], _WORKER["target"])


def _chunks(lo: int, hi: int, width: int) -> list[tuple[int, int]]:
    return [(start, min(start + width - 1, hi)) for start in range(lo, hi + 1, width)]


def replay(store: Store, flt: RecordFilter, options: ReplayOptions, access: AccessContext, *,
           on_item: Callable[[ReplayItem], None] | None = None,
           progress: bool = True,
           on_progress: Callable[[int, int], None] | None = None) -> ReplayReport:
    """Replay the decisions *flt* selects; ``on_item`` receives each reported decision
    and ``on_progress(processed, selected)`` is called once counted and after each chunk
    (the HTTP service's job status uses it).

    The access is logged (action ``replay``) before any decision is read.
    """
    flt = RecordFilter(**{**{n: getattr(flt, n) for n in flt.__dataclass_fields__},
                          "kind": "decision"})
    report = ReplayReport(mode="impact" if options.target_version else "reproduce",
                          target_version=options.target_version, engine=options.engine,
                          selection=flt.describe())
    where, params = flt.where()
    query = {**flt.describe(), "mode": report.mode, "engine": options.engine}
    if options.target_version:
        query["target_version"] = options.target_version
    store.log_access(actor_role=access.actor_role, actor_id=access.actor_id,
                     service_area=access.service_area, justification=access.justification,
                     action="replay", query=query)
    row = store.db.query_one(
        f"SELECT count(*), min(seq), max(seq) FROM audit_records WHERE {where}", params)
    assert row is not None
    report.selected = int(row[0])
    if on_progress is not None:
        on_progress(0, report.selected)
    started = time.perf_counter()
    if report.selected:
        chunks = _chunks(int(row[1]), int(row[2]), max(1, options.chunk))
        workers = max(1, min(options.workers, len(chunks), os.cpu_count() or 1))
        if report.selected < _IN_PROCESS_BELOW:
            workers = 1
        results = _results(store.db.url.dsn, options, where, params, chunks, workers)
        with tqdm(total=report.selected, unit="decision", file=sys.stderr,
                  disable=not progress, dynamic_ncols=True) as bar:
            for chunk in results:
                report.merge(chunk)
                bar.update(chunk.processed)
                if on_progress is not None:
                    on_progress(report.processed, report.selected)
                if on_item is not None:
                    for item in chunk.items:
                        on_item(item)
    report.elapsed = time.perf_counter() - started
    return report


def _results(url: str, options: ReplayOptions, where: str, params: list[Any],
             chunks: list[tuple[int, int]], workers: int) -> Iterator[ChunkResult]:
    if workers == 1:
        _init_worker(url, options, where, params)
        try:
            for bounds in chunks:
                yield _run_chunk(bounds)
        finally:
            _WORKER.pop("db").close()
        return
    # spawn, not fork: the parent may hold database connections and engine threads.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_init_worker,
                      initargs=(url, options, where, params)) as pool:
        yield from pool.imap(_run_chunk, chunks)
