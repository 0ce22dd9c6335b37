"""A synthetic history to try the reports on: plausible decisions across every family,
version and several years, recorded through the real path (the engine decides each
case; :meth:`Store.append_decisions` records them in groups; finals through
:meth:`Store.append_final`).

Synthetic only: case references are ``DEMO-…``, nothing is drawn from real people. The
monitoring data never reach a rule; the differences between groups the reports find are
built into the *facts* drawn (fewer admissions recorded for some groups, so cautions are
closed more often) and into the *panel's* finals (more departures to a more severe
outcome for some groups), which is how disproportionality arises in practice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from decision_engine.audit import DecisionEntry, FinalEntry, Store
from decision_engine.audit.drafts import PreparedDecision
from decision_engine.engine.service import Engine
from decision_engine.errors import DecisionEngineError
from decision_engine.policy import model as m
from decision_engine.policy.registry import PolicyVersion, Registry

FAMILY_MIX = {"gravity-matrix": 0.45, "oocd-pathways": 0.15, "pace-transfer": 0.10,
              "enhanced-case-management": 0.15, "contact-frequency": 0.15}
ROLE = {"gravity-matrix": "panel", "oocd-pathways": "court_officer",
        "pace-transfer": "custody", "enhanced-case-management": "case_manager",
        "contact-frequency": "case_manager"}
ETHNICITY = {"white": 0.70, "black": 0.10, "asian": 0.09, "mixed": 0.08, "other": 0.03}
ADMITS = {"white": 0.65, "asian": 0.6, "other": 0.6, "mixed": 0.5, "black": 0.45}
"""Share of cases with an admission recorded, by group: the built-in difference."""
HARSHER = {"black": 0.5, "mixed": 0.35}
"""Of the panel's departures, the share that go to a more severe outcome (else 0.2)."""
FIRST_DAY, LAST_DAY = dt.date(2014, 1, 1), dt.date(2026, 10, 31)
RATIONALES = [
    "Panel considered the victim's views and the child's engagement.",
    "Further information from the youth justice service changed the assessment.",
    "Earlier intervention had not been engaged with.",
    "Child's circumstances support a less formal outcome.",
    "Seriousness of the offence was greater than the form recorded.",
]


@dataclass(frozen=True, slots=True)
class DemoResult:
    decisions: int
    finals: int
    seconds: float


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _values(pv: PolicyVersion, inp: m.Input) -> list[str]:
    if inp.from_table:
        return list(pv.policy.tables[inp.from_table].rows)
    return list(inp.values or [])


def _facts(rng: random.Random, pv: PolicyVersion, on: dt.date, group: str) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, inp in pv.policy.inputs.items():
        if name == "age" or (inp.optional and rng.random() < 0.3):
            continue
        if inp.type == "bool":
            facts[name] = rng.random() < (0.9 if name in ("sufficient_evidence", "charged")
                                          else 0.5)
        elif inp.type == "int":
            low = inp.min if inp.min is not None else 0
            high = min(inp.max if inp.max is not None else low + 5, low + 5)
            facts[name] = rng.randint(low, high)
        elif inp.type == "enum":
            values = _values(pv, inp)
            if name == "admission" and "admitted" in values:
                facts[name] = ("admitted" if rng.random() < ADMITS.get(group, 0.6)
                               else rng.choice([v for v in values if v != "admitted"]))
            else:
                facts[name] = rng.choice(values)
        elif inp.type == "set":
            values = _values(pv, inp)
            facts[name] = sorted(rng.sample(values, k=min(len(values), rng.choice([0, 0, 1, 2]))))
        elif inp.type == "list" and inp.items and "date" in inp.items:
            disposals = list(getattr(inp.items.get("disposal"), "values", None) or ["conviction"])
            facts[name] = [{"id": f"O{i}", "date": (on - dt.timedelta(days=rng.randint(
                0, 700))).isoformat(), "disposal": rng.choice(disposals)}
                for i in range(rng.randint(0, 4))]
    return facts


def _versions(registry: Registry, family: str) -> list[PolicyVersion]:
    return [pv for pv in registry.versions(family) if pv.entry.status == "approved"]


def _day(rng: random.Random, versions: list[PolicyVersion]) -> dt.date:
    start = max(FIRST_DAY, min(pv.entry.effective_from for pv in versions))
    return start + dt.timedelta(days=rng.randint(0, (LAST_DAY - start).days))


@dataclass(frozen=True, slots=True)
class _Candidate:
    family: str
    group: str
    on: dt.date
    case: dict[str, Any]


class _Drawer:
    """Draws candidate cases from one seeded generator (same seed, same cases)."""

    def __init__(self, registry: Registry, seed: int) -> None:
        self.registry, self.seed, self.rng, self.drawn = registry, seed, random.Random(seed), 0
        self.versions = {f: _versions(registry, f) for f in FAMILY_MIX
                         if f in registry.families()}
        self.mix = {f: w for f, w in FAMILY_MIX.items() if f in self.versions}

    def draw(self) -> _Candidate:
        rng = self.rng
        family = _pick(rng, self.mix)
        group = _pick(rng, ETHNICITY)
        on = _day(rng, self.versions[family])
        pv = self.registry.select(family, on)
        monitoring = {"ethnicity": group, "sex": "male" if rng.random() < 0.8 else "female",
                      "looked_after": "yes" if rng.random() < 0.12 else "no",
                      "disability": "yes" if rng.random() < 0.15 else "no"}
        case = {"case_reference": f"DEMO-{self.seed}-{self.drawn:07d}",
                "age": rng.randint(10, 17), "facts": _facts(rng, pv, on, group),
                "monitoring": monitoring}
        self.drawn += 1
        return _Candidate(family, group, on, case)


_ENGINE: Engine | None = None
_AREA = "demo"


def _start_worker(registry: Registry, area: str) -> None:
    global _ENGINE, _AREA
    _ENGINE, _AREA = Engine(registry), area


def _decide(c: _Candidate) -> tuple[PreparedDecision, str] | None:
    """Decide and encode one candidate (in a worker process): the engine's decision and
    the store's encoding are the CPU work; recording stays in the one writing process."""
    assert _ENGINE is not None
    try:
        subject, decision = _ENGINE.decide(c.family, c.case, c.on, engine="fast")
    except DecisionEngineError:
        return None  # a combination the policy refuses: the caller draws another
    entry = DecisionEntry(decision, subject, ROLE[c.family], "demo", _AREA)
    return Store.prepare_decision(entry), decision.outcome


def fill(store: Store, cases: int, *, seed: int = 1, area: str = "demo",
         registry: Registry | None = None, batch: int = 1000,
         finals_share: float = 0.2, workers: int | None = None,
         progress: Callable[[int], None] | None = None) -> DemoResult:
    """Decide and record *cases* synthetic cases (same *seed*, same cases, whatever the
    number of *workers*: cases are drawn in this process and decided in order).

    Deciding and encoding run in *workers* processes (default: one per core; with one
    worker, in this process); this process records each batch of decisions, then its
    finals, in one transaction each.
    """
    import time

    started = time.perf_counter()
    registry = registry or Registry.load()
    drawer = _Drawer(registry, seed)
    finals_rng = random.Random(seed + 1)  # its own stream: finals never shift the cases
    # one worker per core: on this 2-core machine, idle, 2 workers gave 2,147 decisions/s
    # against 1,413/s in-process (30,000 cases); beside other heavy work they can be
    # slower (1,031 against 1,374/s at load 1.5), so a shared machine may pass workers=1
    workers = workers if workers is not None else (os.cpu_count() or 1)
    done = finals = 0
    with _pool(registry, area, workers) as submit:
        pending: Pending | None = submit([drawer.draw() for _ in range(batch)])
        while pending is not None:
            chosen, results = pending()
            decided = [(c, r) for c, r in zip(chosen, results, strict=True)
                       if r is not None][:cases - done]
            # the next batch is decided while this one is recorded, if one is needed
            pending = (submit([drawer.draw() for _ in range(batch)])
                       if done + len(decided) < cases else None)
            if not decided:
                continue
            refs = store.append_decisions([prepared for _, (prepared, _) in decided])
            meta = [(c.family, c.group, outcome) for c, (_, outcome) in decided]
            finals += _finals(store, finals_rng, registry, refs, meta, area, finals_share)
            done += len(decided)
            if progress:
                progress(done)
    return DemoResult(done, finals, time.perf_counter() - started)


Decided = list[tuple[PreparedDecision, str] | None]
Pending = Callable[[], tuple[list[_Candidate], Decided]]


@contextlib.contextmanager
def _pool(registry: Registry, area: str, workers: int,
          ) -> Iterator[Callable[[list[_Candidate]], Pending]]:
    """``submit(candidates)`` starts deciding them and returns a call that waits for the
    results in order: on a pool of forked workers (each inherits the loaded registry)
    while this process records the previous batch, or, with one worker or no ``fork``,
    in this process when the results are asked for."""
    import multiprocessing

    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        _start_worker(registry, area)
        yield lambda chosen: lambda: (chosen, [_decide(c) for c in chosen])
        return
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(workers, initializer=_start_worker, initargs=(registry, area))

    def submit(chosen: list[_Candidate]) -> Pending:
        job = pool.map_async(_decide, chosen, chunksize=max(1, len(chosen) // (workers * 4)))
        return lambda: (chosen, job.get())

    try:
        yield submit
    except BaseException:
        pool.terminate()
        raise
    # Not terminate() (what ``with Pool`` does): terminating while the pool's task
    # thread is still handing work to the workers can leave that thread waiting for the
    # queue's lock for ever (seen in CI: the whole run hung). Everything submitted has
    # been collected here, so the workers are idle and leave at close().
    pool.close()
    pool.join()


def _finals(store: Store, rng: random.Random, registry: Registry, refs: list[Any],
            meta: list[tuple[str, str, str]], area: str, share: float) -> int:
    """The panel's finals for some gravity-matrix decisions, some departing."""
    ladder = list(registry.versions("gravity-matrix")[-1].policy.outcomes)
    finals: list[FinalEntry] = []
    for ref, (family, group, outcome) in zip(refs, meta, strict=True):
        if family != "gravity-matrix" or rng.random() >= share:
            continue
        final, rationale = outcome, None
        if rng.random() < 0.25:
            i = ladder.index(outcome)
            up = rng.random() < HARSHER.get(group, 0.2)
            j = min(i + 1, len(ladder) - 1) if up else max(i - 1, 0)
            if j != i:
                final, rationale = ladder[j], rng.choice(RATIONALES)
        finals.append(FinalEntry(ref.id, final, rationale, "panel", "demo", area))
    store.append_finals(finals)  # one transaction for the batch, like the decisions
    return len(finals)
