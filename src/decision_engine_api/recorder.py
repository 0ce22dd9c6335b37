"""Recording decisions from request threads, with group commit.

A durable commit costs one fsync and SQLite's own work around it (~1.5 ms a small
batch on this machine's disk, of which the fsync ~0.4 ms; 3.4 ms on an earlier disk), so
one transaction per decision caps a worker at a few hundred decisions/s whatever the
CPU. With group commit, requests hand their decision to one committer thread and await
it; the committer takes everything that queued up while the previous COMMIT was
flushing and records it with :meth:`Store.append_decisions` in one transaction; once it
holds the write turn (other worker processes commit to the same store) it takes in what
queued while it waited for it, instead of leaving that for another turn and another
fsync. Every request is still answered only after the COMMIT that holds its decision,
so the store's promise (an acknowledged decision survives a crash) is unchanged; only
the number of fsyncs falls.

Each request validates and encodes its own decision (``Store.prepare_decision``) before
it queues, so a bad entry fails only its own request and the committer's serial work —
the part every request in a batch waits for — is just the inserts and the COMMIT. If a
batch still fails (all or none), its entries are retried one by one so that whatever
caused it fails alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from decision_engine.audit import RecordRef, Store
from decision_engine.audit.store import DecisionEntry, PreparedDecision
from decision_engine.engine import Decision, Subject

log = logging.getLogger("decision_engine_api.recorder")

MAX_BATCH = 256


@dataclass(slots=True)
class _Waiter:
    """One queued decision and the future its request awaits (on its own loop)."""

    prepared: PreparedDecision
    future: asyncio.Future[RecordRef]
    ref: RecordRef | None = None
    error: BaseException | None = None

    def settle(self) -> None:
        # RuntimeError: the loop has closed (shutdown), so nobody is waiting.
        with contextlib.suppress(RuntimeError):
            self.future.get_loop().call_soon_threadsafe(_settle_future, self.future,
                                                        self.ref, self.error)


def _settle_future(future: asyncio.Future[RecordRef], ref: RecordRef | None,
                   error: BaseException | None) -> None:
    if future.cancelled():  # the client went away; the decision is recorded regardless
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert ref is not None
        future.set_result(ref)


class Recorder:
    """The one place the API appends decisions."""

    def __init__(self, store: Store, *, group_commit: bool = True) -> None:
        self.store = store
        self.group_commit = group_commit
        self._queue: queue.SimpleQueue[_Waiter | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stop = False
        """Set by the committer when it has taken the stop sentinel (:meth:`close`)."""
        self.batches = 0
        self.recorded = 0
        self.commit_seconds = 0.0
        """Counters for benchmarks and diagnostics: batches, decisions, time in
        ``append_decisions`` (validation, hashing, inserts and the COMMIT)."""

    async def record(self, decision: Decision, subject: Subject, *, actor_role: str,
                     actor_id: str, service_area: str) -> RecordRef:
        """Record one decision; returns after the COMMIT that holds it."""
        return await self.record_prepared(Store.prepare_decision(
            DecisionEntry(decision, subject, actor_role, actor_id, service_area)))

    async def record_prepared(self, prepared: PreparedDecision) -> RecordRef:
        """Record a decision already validated and encoded (:meth:`Store.prepare_decision`,
        in the request's own time); returns after the COMMIT that holds it. Awaiting keeps
        both the event loop and the thread pool free while the batch commits."""
        if not self.group_commit:
            return (await run_in_threadpool(self.store.append_decisions, [prepared]))[0]
        self._ensure_started()
        future: asyncio.Future[RecordRef] = asyncio.get_running_loop().create_future()
        self._queue.put(_Waiter(prepared, future=future))
        # shield: a cancelled request must not cancel the shared batch's bookkeeping
        return await asyncio.shield(future)

    def close(self) -> None:
        with self._start_lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(10)
                self._thread = None

    # -- the committer thread -------------------------------------------------------------
    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="group-commit",
                                                    daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            self._stop = self._take(batch)
            self._commit(batch)
            if self._stop:
                return

    def _take(self, batch: list[_Waiter]) -> bool:
        """Add what has queued up to *batch* (at most ``MAX_BATCH`` in all), without
        waiting; True if the stop sentinel was taken."""
        while len(batch) < MAX_BATCH:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                return False
            if more is None:
                return True
            batch.append(more)
        return False

    def _commit(self, batch: list[_Waiter]) -> None:
        started = time.perf_counter()

        def more() -> list[PreparedDecision]:
            # The write turn is held: what queued while waiting for it joins this batch.
            if self._stop:
                return []
            taken = len(batch)
            self._stop = self._take(batch)
            return [w.prepared for w in batch[taken:]]

        try:
            refs = self.store.append_decisions([w.prepared for w in batch], more=more)
        except Exception as exc:  # nothing in the batch committed
            log.error("group commit of %d decisions failed (%s); retrying one by one",
                      len(batch), type(exc).__name__)
            self._one_by_one(batch)
            return
        self.batches += 1
        self.recorded += len(batch)
        self.commit_seconds += time.perf_counter() - started
        for w, ref in zip(batch, refs, strict=True):
            w.ref = ref
            w.settle()

    def _one_by_one(self, batch: list[_Waiter]) -> None:
        for w in batch:
            try:
                w.ref = self.store.append_decisions([w.prepared])[0]
            except Exception as exc:
                w.error = exc
            w.settle()
