"""Group commit: concurrent decisions share COMMITs, each is acknowledged with its own
record, the chain verifies, and a bad entry fails alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from decision_engine.audit import AuditValidationError, RecordFilter, open_store
from decision_engine.engine import decide
from decision_engine_api.recorder import Recorder
from tests.api.conftest import GRAVITY_CASE


def _decision(i: int) -> Any:
    case = {**GRAVITY_CASE, "case_reference": f"GC-{i:04d}"}
    return decide("gravity-matrix", case, dt.date(2025, 6, 1))


async def _record_all(recorder: Recorder, n: int) -> list[Any]:
    made = [_decision(i) for i in range(n)]
    return await asyncio.gather(*(recorder.record(d, s, actor_role="panel", actor_id="t",
                                                  service_area="north") for s, d in made))


def test_concurrent_decisions_share_commits(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'g.db'}") as store:
        recorder = Recorder(store)
        try:
            refs = asyncio.run(_record_all(recorder, 60))
        finally:
            recorder.close()
        assert sorted(r.seq for r in refs) == list(range(1, 61))
        assert len({r.id for r in refs}) == 60
        assert recorder.recorded == 60 and recorder.batches < 60
        assert store.count(RecordFilter(kind="decision")) == 60
        assert store.verify().ok
        for ref in refs:
            stored = store.get(ref.id)
            assert stored is not None and stored.hash == ref.hash


def test_a_bad_entry_fails_alone(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'g.db'}") as store:
        recorder = Recorder(store)
        subject, decision = _decision(1)

        async def run() -> list[Any]:
            good = [recorder.record(decision, subject, actor_role="panel", actor_id="ok",
                                    service_area="north") for _ in range(5)]
            bad = recorder.record(decision, subject, actor_role="panel", actor_id="bad\x00",
                                  service_area="north")
            return await asyncio.gather(*good, bad, return_exceptions=True)

        try:
            results = asyncio.run(run())
        finally:
            recorder.close()
        assert isinstance(results[-1], AuditValidationError)
        assert all(not isinstance(r, BaseException) for r in results[:-1])
        assert store.count(RecordFilter(kind="decision")) == 5


def test_a_failed_batch_is_retried_one_by_one(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(f"sqlite:///{tmp_path / 'g.db'}") as store:
        recorder = Recorder(store)
        real = store.append_decisions

        def flaky(entries: Any, *, more: Any = None) -> Any:  # a batch of two or more fails
            entries = [*entries, *(more() if more else [])]
            if len(entries) > 1:
                raise RuntimeError("disk hiccup")
            return real(entries)

        monkeypatch.setattr(store, "append_decisions", flaky)
        try:
            refs = asyncio.run(_record_all(recorder, 20))
        finally:
            recorder.close()
        assert len(refs) == 20 and store.verify().ok


def test_decisions_queued_while_the_turn_is_held_join_that_commit(tmp_path: Path) -> None:
    """Another process holds the write turn while the committer has taken one decision
    and waits for it; the eight that queue meanwhile go in the same COMMIT, not the next."""
    url = f"sqlite:///{tmp_path / 'g.db'}"
    made = [_decision(i) for i in range(9)]
    with open_store(url) as store, open_store(url) as other:
        recorder = Recorder(store)
        held, release = threading.Event(), threading.Event()

        def hold_the_turn() -> None:
            with other.db.write():  # its own flock and BEGIN IMMEDIATE: another writer
                held.set()
                release.wait(10)

        async def until(condition: Any) -> None:
            deadline = time.monotonic() + 10
            while not condition():
                assert time.monotonic() < deadline, (recorder._queue.qsize(), recorder.batches,
                                                     recorder.recorded)
                await asyncio.sleep(0.005)

        def record(i: int) -> Any:
            subject, decision = made[i]
            return asyncio.ensure_future(recorder.record(decision, subject, actor_role="panel",
                                                         actor_id="t", service_area="north"))

        async def run() -> list[Any]:
            first = record(0)
            await asyncio.sleep(0)  # the task runs until it awaits its COMMIT: queued
            await until(lambda: recorder._queue.empty())  # taken by the committer …
            await asyncio.sleep(0.05)  # … which now waits for the turn
            rest = [record(i) for i in range(1, 9)]
            await until(lambda: recorder._queue.qsize() == 8)
            await asyncio.sleep(0.05)
            release.set()
            return await asyncio.gather(first, *rest)

        holder = threading.Thread(target=hold_the_turn)
        holder.start()
        assert held.wait(10)
        try:
            refs = asyncio.run(run())
        finally:
            release.set()
            holder.join(10)
            recorder.close()
        assert recorder.batches == 1 and recorder.recorded == 9
        assert [r.seq for r in refs] == list(range(1, 10))
        assert store.verify().ok
