"""Why durable-rules needs no lock of ours on a GIL build, and gets one where it would.

Issue 13 item 13: the threaded isolation test passed with the process lock replaced by a
no-op. These tests pin down why: the C extension never releases the interpreter lock, so
each call into it is atomic, and sessions interleaved *between* calls stay apart. The
lock is kept only where no GIL serialises the calls (free-threaded Python with the GIL
off); ``matchers.engine_lock_needed`` decides.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import durable_rules_engine
import pytest

from decision_engine.compiler.inputs import domain
from decision_engine.engine import Engine, matchers
from decision_engine.policy.registry import Registry

DAY = dt.date(2024, 1, 1)

# Every way a C extension can let another thread run Python while it works: the
# Py_BEGIN_ALLOW_THREADS macro (PyEval_SaveThread/RestoreThread), the older names, and
# swapping thread states by hand.
GIL_RELEASES = (b"PyEval_SaveThread", b"PyEval_ReleaseThread", b"PyEval_ReleaseLock",
                b"PyGILState_Release", b"PyThreadState_Swap")


def test_the_extension_never_releases_the_interpreter_lock() -> None:
    """No GIL-releasing function is imported by durable-rules' C extension, so while
    one of its calls runs no other Python thread runs."""
    binary = Path(durable_rules_engine.__file__ or "").read_bytes()
    assert b"PyInit_durable_rules_engine" in binary  # we read the extension itself
    assert b"PyArg_ParseTuple" in binary  # and its imported names are visible in it
    assert [name for name in GIL_RELEASES if name in binary] == []


class _Tracing:
    """The C module, logging which thread made each call (to prove interleaving)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        real = getattr(durable_rules_engine, name)

        def call(*args: Any) -> Any:
            self.calls.append((threading.get_ident(), name))
            return real(*args)

        return call


def _interleavings(calls: list[tuple[int, str]]) -> int:
    """How many sessions were opened while another thread's session was open (a
    session is in use from its fact's assert to its retract, or its delete)."""
    open_by: set[int] = set()
    count = 0
    for thread, name in calls:
        if name == "assert_fact":
            count += bool(open_by - {thread})
            open_by.add(thread)
        elif name in ("retract_fact", "delete_state"):
            open_by.discard(thread)
    return count


@contextlib.contextmanager
def _switch_every(seconds: float) -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def test_sessions_interleaved_between_calls_stay_apart_without_a_lock(
        registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no lock at all and the interpreter switching threads every microsecond,
    8 threads' evaluations do interleave on one ruleset (checked), and every answer is
    the sequential one: per-call atomicity (the GIL) is all the C engine needs."""
    tracing = _Tracing()
    monkeypatch.setattr(matchers, "ENGINE_LOCK", contextlib.nullcontext())
    monkeypatch.setattr(matchers, "dre", tracing)
    pv = registry.get("gravity-matrix", "npcc-2025")
    engine = Engine(registry)
    matcher = engine.matcher(pv, "durable")
    rng = random.Random(13)
    offences = list(pv.policy.tables["offences"].rows)
    aggravating = domain(pv.policy, pv.policy.inputs["aggravating"])
    cases = [{"offence": rng.choice(offences), "age": rng.randint(10, 17),
              "sufficient_evidence": rng.random() > 0.2,
              "admission": rng.choice(["admitted", "denied", "no_comment"]),
              "signed_consent": rng.random() > 0.5,
              "aggravating": sorted(rng.sample(aggravating, rng.randint(0, 3)))}
             for _ in range(300)]
    sequential = [engine.evaluate("gravity-matrix", c, DAY).canonical_json() for c in cases]
    tracing.calls.clear()
    with _switch_every(1e-5), ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(
            lambda c: engine.evaluate("gravity-matrix", c, DAY).canonical_json(), cases))
    assert matcher is engine.matcher(pv, "durable")  # one ruleset shared by all threads
    assert _interleavings(tracing.calls) > 0, "the threads never interleaved: no evidence"
    assert threaded == sequential


@pytest.mark.parametrize(("gil", "needed"), [(True, False), (False, True), (None, False)])
def test_the_lock_is_kept_only_where_no_gil_serialises_calls(
        gil: bool | None, needed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Free-threaded Python with the GIL off gets a real lock; a GIL build (3.13+ with
    the GIL on, or an older Python with no ``sys._is_gil_enabled``) needs none."""
    if gil is None:
        monkeypatch.delattr(sys, "_is_gil_enabled", raising=False)
    else:
        monkeypatch.setattr(sys, "_is_gil_enabled", lambda: gil, raising=False)
    assert matchers.engine_lock_needed() is needed


def test_this_interpreter_uses_the_lock_it_needs() -> None:
    lock = matchers.ENGINE_LOCK
    if matchers.engine_lock_needed():
        assert not isinstance(lock, contextlib.nullcontext)
    else:
        assert isinstance(lock, contextlib.nullcontext)
