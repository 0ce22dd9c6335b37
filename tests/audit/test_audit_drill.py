"""Durability drill: a writer is SIGKILLed at random moments; every decision it
acknowledged (printed after COMMIT) must be there afterwards and the chain must verify.

SIGKILL tests crash consistency and the acknowledge-after-commit rule; power loss
cannot be simulated here, which is what synchronous=FULL / synchronous_commit=on and
their start-up assertions cover. Rounds: DECISION_ENGINE_DRILL_ROUNDS (default 20).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from audit_support import Made, decision_json

from decision_engine.audit import Store, open_store

WRITER = Path(__file__).with_name("audit_drill_writer.py")


def _run_round(url: str, payload: Path, round_no: int, delay: float,
               after_ready: bool) -> list[tuple[str, str]]:
    """Start a writer, SIGKILL it *delay* seconds after spawn (or after it is ready)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(WRITER.parent), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.Popen([sys.executable, str(WRITER), url, str(payload), str(round_no)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    lines: list[bytes] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout or []:
            lines.append(line)
            ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if after_ready:
        assert ready.wait(timeout=60), "writer did not start"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    reader.join(timeout=30)
    acked = []
    for raw in lines:
        if not raw.endswith(b"\n"):
            continue  # cut off mid-line by the kill: never acknowledged
        kind, _, record_id = raw.decode().strip().partition(" ")
        if kind != "ready":
            acked.append((kind, record_id))
    return acked


@pytest.mark.slow  # ~10-20 s per backend; still runs in CI (`make test` selects everything)
def test_audit_durability_drill_sigkill(store_url: str, store: Store, decisions: list[Made],
                                        tmp_path: Path) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps([decision_json(m) for m in decisions[:10]]))
    rounds = int(os.environ.get("DECISION_ENGINE_DRILL_ROUNDS", "20"))
    seed = int(os.environ.get("DECISION_ENGINE_DRILL_SEED", str(time.time_ns() % 10**6)))
    rng = random.Random(seed)
    acknowledged: list[tuple[str, str]] = []
    killed_after_acks = 0
    for round_no in range(rounds):
        # One round in four is killed during start-up (connect, migrate); the others at a
        # random moment while appending.
        during_startup = round_no % 4 == 0
        acked = _run_round(store_url, payload, round_no,
                           rng.uniform(0.0, 0.4) if during_startup else rng.uniform(0.01, 0.5),
                           after_ready=not during_startup)
        killed_after_acks += bool(acked)
        acknowledged += acked
        with open_store(store_url) as reopened:
            for kind, record_id in acked:
                record = reopened.get(record_id)
                assert record is not None, f"seed {seed} round {round_no}: lost {kind} {record_id}"
                assert record.kind == kind
            result = reopened.verify()
            assert result.ok, f"seed {seed} round {round_no}: {result}"
    assert killed_after_acks >= rounds // 2, "the writer was mostly killed before writing"
    assert len({record_id for _, record_id in acknowledged}) == len(acknowledged)
    assert store.verify().ok
