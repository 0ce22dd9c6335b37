"""Bulk replay jobs: accepted by a request, run in the background, polled for progress.

Each worker process runs its jobs one at a time on one background thread (the store's
replay keeps per-process state, and the compiled Python evaluator it uses for bulk work
does not touch durable-rules, so it is safe beside request threads). Job state lives
in the database (``api_replay_jobs``), so any worker process can answer
``GET /v1/replays/{id}``; a job whose worker stopped is recognised by its heartbeat going
stale and reported as failed rather than "running" for ever.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from decision_engine.audit import AccessContext, RecordFilter, ReplayOptions, Store, replay
from decision_engine.audit.replay import ReplayItem
from decision_engine.errors import DecisionEngineError
from decision_engine_api.models import BulkReplayCreate, ReplayJob, ReplayProgress

log = logging.getLogger("decision_engine_api.jobs")

STALE_AFTER = dt.timedelta(seconds=120)
"""A queued or running job whose heartbeat is older than this has lost its worker."""
MAX_QUEUED = 8
_PROGRESS_EVERY = 0.25
_COLUMNS = ("id, service_area, created_by, status, request, selected, processed, "
            "created_at, started_at, finished_at, heartbeat_at, result, error")


class QueueFull(DecisionEngineError):
    """Too many replay jobs are waiting in this worker."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class _Work:
    id: str
    request: BulkReplayCreate
    access: AccessContext


class ReplayJobs:
    """The job queue of one worker process."""

    def __init__(self, store: Store, policy_root: Path, *, max_items: int) -> None:
        self.store = store
        self.policy_root = policy_root
        self.max_items = max_items
        self._queue: queue.Queue[_Work | None] = queue.Queue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="replay-jobs", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    # -- requests -------------------------------------------------------------------------
    def submit(self, request: BulkReplayCreate, access: AccessContext) -> str:
        with self._lock:
            if len(self._pending) >= MAX_QUEUED:
                raise QueueFull(f"{MAX_QUEUED} replay jobs are already waiting")
            job_id = str(uuid.uuid4())
            self._pending.add(job_id)
        now = _stamp(_now())
        self.store.db.execute(
            "INSERT INTO api_replay_jobs (id, service_area, created_by, status, request, "
            "processed, created_at, heartbeat_at) VALUES (?, ?, ?, 'queued', ?, 0, ?, ?)",
            (job_id, access.service_area, access.actor_id,
             request.model_dump_json(exclude_none=True), now, now))
        self.start()
        self._queue.put(_Work(job_id, request, access))
        return job_id

    def get(self, job_id: str, service_area: str) -> ReplayJob | None:
        row = self.store.db.query_one(
            f"SELECT {_COLUMNS} FROM api_replay_jobs WHERE id = ? AND service_area = ?",
            (job_id, service_area))
        return None if row is None else _job(row)

    # -- the worker thread ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            work = self._queue.get()
            if work is None:
                return
            try:
                self._execute(work)
            except Exception as exc:  # a job must never kill the worker thread
                log.error("replay job %s failed: %s", work.id, type(exc).__name__)
                self._finish(work.id, "failed", None, _safe_error(exc))
            finally:
                with self._lock:
                    self._pending.discard(work.id)

    def _execute(self, work: _Work) -> None:
        now = _stamp(_now())
        self.store.db.execute("UPDATE api_replay_jobs SET status = 'running', started_at = ?, "
                              "heartbeat_at = ? WHERE id = ?", (now, now, work.id))
        req = work.request
        flt = RecordFilter(kind="decision", family=req.family,
                           policy_version=req.policy_version,
                           service_area=work.access.service_area, date_from=req.date_from,
                           date_to=req.date_to)
        options = ReplayOptions(target_version=req.target_version, engine="fast",
                                policies_root=str(self.policy_root), workers=1, chunk=2000)
        items: list[dict[str, Any]] = []
        last = 0.0

        def on_item(item: ReplayItem) -> None:
            if len(items) < self.max_items:
                items.append(item.to_json())

        def on_progress(processed: int, selected: int) -> None:
            nonlocal last
            if time.monotonic() - last < _PROGRESS_EVERY and processed < selected:
                return
            last = time.monotonic()
            self._progress(work.id, processed, selected)

        report = replay(self.store, flt, options, work.access, on_item=on_item,
                        progress=False, on_progress=on_progress)
        self._progress(work.id, report.processed, report.selected)
        result = {**report.summary_json(), "items": items,
                  "items_truncated": (report.differs + report.errors
                                      + (report.outcome_changed if req.target_version else 0)
                                      ) > len(items)}
        self._finish(work.id, "succeeded", result, None)

    def _progress(self, job_id: str, processed: int, selected: int) -> None:
        now = _stamp(_now())
        with self._lock:
            waiting = sorted(self._pending - {job_id})
        self.store.db.execute("UPDATE api_replay_jobs SET processed = ?, selected = ?, "
                              "heartbeat_at = ? WHERE id = ?",
                              (processed, selected, now, job_id))
        if waiting:  # queued jobs behind this one are alive too
            marks = ", ".join("?" for _ in waiting)
            self.store.db.execute(f"UPDATE api_replay_jobs SET heartbeat_at = ? "
                                  f"WHERE id IN ({marks})", (now, *waiting))

    def _finish(self, job_id: str, status: str, result: dict[str, Any] | None,
                error: str | None) -> None:
        now = _stamp(_now())
        self.store.db.execute(
            "UPDATE api_replay_jobs SET status = ?, finished_at = ?, heartbeat_at = ?, "
            "result = ?, error = ? WHERE id = ?",
            (status, now, now, None if result is None else json.dumps(result), error, job_id))


def _safe_error(exc: BaseException) -> str:
    """Errors of this package are written for users; others are named only."""
    if isinstance(exc, DecisionEngineError):
        return str(exc)[:500]
    return f"internal error ({type(exc).__name__}); see the service log"


def _job(row: tuple[Any, ...]) -> ReplayJob:
    (job_id, area, created_by, status, request, selected, processed, created_at, started_at,
     finished_at, heartbeat_at, result, error) = row
    if status in ("queued", "running"):
        beat = dt.datetime.strptime(str(heartbeat_at), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=dt.UTC)
        if _now() - beat > STALE_AFTER:
            status, error = "failed", "the worker running this job stopped; submit it again"
    selected_n = None if selected is None else int(selected)
    processed_n = int(processed)
    fraction = (1.0 if selected_n == 0 else round(processed_n / selected_n, 4)
                ) if selected_n is not None else None
    return ReplayJob(
        id=str(job_id), status=status, service_area=str(area), created_by=str(created_by),
        request=BulkReplayCreate.model_validate_json(str(request)),
        created_at=str(created_at), started_at=started_at, finished_at=finished_at,
        progress=ReplayProgress(selected=selected_n, processed=processed_n,
                                fraction=fraction),
        result=None if result is None else json.loads(str(result)), error=error)
