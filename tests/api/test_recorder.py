"""Group commit: concurrent decisions share COMMITs, each is acknowledged with its own
record, the chain verifies, and a bad entry fails alone."""

from __future__ import annotations

import asyncio
import datetime as dt
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

        def flaky(entries: Any) -> Any:  # any batch of more than one fails
            if len(entries) > 1:
                raise RuntimeError("disk hiccup")
            return real(entries)

        monkeypatch.setattr(store, "append_decisions", flaky)
        try:
            refs = asyncio.run(_record_all(recorder, 20))
        finally:
            recorder.close()
        assert len(refs) == 20 and store.verify().ok
