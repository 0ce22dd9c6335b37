"""Which rules match a case: durable-rules (the core) or compiled predicates (fast path).

durable-rules hazards measured on this machine (docs/engineering.md) and how they are
contained here:

* Not thread-safe, and the stock ``Host`` runs timer threads that call into the C engine.
  We never create a ``Host``: rulesets are created directly on the C module. Each call
  into the C module is atomic under the interpreter lock (see :data:`ENGINE_LOCK`), so
  on a GIL build threads can interleave only *between* calls, and each evaluation's
  calls touch only its own session. The process lock is kept for free-threaded Python,
  where nothing else would serialise the calls. Scale with processes, not threads.
* 1,024 live sessions per ruleset, then MemoryError and a segfault. Each evaluation
  takes a session no other evaluation is using, asserts its one fact, runs the actions
  and retracts the fact, which leaves the session empty for the next evaluation
  (creating a session costs ~10 µs, a third of the matching). So at most as many
  sessions exist as evaluations ever ran at once; a session whose evaluation went wrong
  in any way is deleted in ``finally``, never reused.
* Creating a session allocates ~9 KB per rule; glibc serves that with mmap/munmap each
  time, which made latency erratic (8–350 µs for the same ruleset). Raising the mmap
  threshold keeps it on the heap.
* A rule whose condition is an ``$or`` fires once per branch that matches; the matcher
  reports each rule once.
* A fact that matches no rule takes a path that was seen to corrupt the heap; every
  ruleset has a rule that matches all cases: the policy's own ``always`` rule, else a
  sentinel rule (see ``CompiledPolicy.sentinel``). Its firing also shows durable-rules
  evaluated the case.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import durable_rules_engine as dre
import orjson

from decision_engine.compiler.matching import match_program
from decision_engine.compiler.program import SENTINEL, CompiledPolicy


def engine_lock_needed() -> bool:
    """Whether calls into durable-rules need a lock of our own: only when the
    interpreter lock is off (free-threaded CPython with the GIL disabled).

    durable-rules' C extension never releases the GIL: it calls no
    ``PyEval_SaveThread`` (``Py_BEGIN_ALLOW_THREADS``), ``PyGILState_*`` or
    ``PyThreadState_Swap``, so each call (create a ruleset, assert a fact, start or
    complete an action, delete a session) runs start to finish with no other Python
    thread running. Threads can interleave only between calls, and an evaluation's calls
    name only its own session id (a counter, atomic under the GIL), which the engine
    keeps apart from every other session. A free-threaded build re-enables the GIL when
    it imports an extension, like this one, that does not declare itself free-threading
    safe, unless ``PYTHON_GIL=0`` forces it off: then calls really run in parallel on one
    ruleset, and the lock is needed. Asked after the import, so the answer is final.
    ``tests/test_engine_lock.py`` checks the symbols, the interleaving and this choice.
    """
    gil_enabled = getattr(sys, "_is_gil_enabled", None)  # Python 3.13+
    return gil_enabled is not None and not gil_enabled()


ENGINE_LOCK: contextlib.AbstractContextManager[object] = (
    threading.Lock() if engine_lock_needed() else contextlib.nullcontext())
"""Serialises calls into durable-rules where the interpreter lock does not (see
:func:`engine_lock_needed`); a no-op on a GIL build."""
_NAMES = itertools.count(1)


def _tune_malloc() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
    libc.mallopt(m_trim_threshold, 128 * 1024 * 1024)


_tune_malloc()


def _json(message: dict[str, Any]) -> str:
    """The message as JSON text: orjson (~6x faster than ``json``) for every message
    it can write, ``json`` for the rest (an integer beyond 64 bits, a lone surrogate)."""
    try:
        return orjson.dumps(message).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(message, ensure_ascii=False)


class Matcher(Protocol):
    def match(self, facts: Mapping[str, Any]) -> list[int]:
        """Indices of the policy's rules whose condition holds, ascending."""
        ...


class FastMatcher:
    """Every rule's condition as generated Python (``compiler.matching``): same answers,
    far cheaper; for bulk replay."""

    def __init__(self, compiled: CompiledPolicy) -> None:
        self.match: Callable[[Mapping[str, Any]], list[int]] = match_program(
            compiled.policy)[0]


class DurableMatcher:
    """One durable-rules ruleset per compiled policy version; calls under :data:`ENGINE_LOCK`."""

    def __init__(self, compiled: CompiledPolicy) -> None:
        self._message = compiled.message
        self._always = compiled.sentinel
        name = f"{compiled.family}@{compiled.version}#{compiled.sha256[:12]}#{next(_NAMES)}"
        definition = json.dumps(compiled.durable_ruleset(), ensure_ascii=False)
        with ENGINE_LOCK:
            self._handle = dre.create_ruleset(name, definition)
        self._sessions = itertools.count(1)
        self._messages = itertools.count(1)
        self._idle: list[str] = []

    def match(self, facts: Mapping[str, Any]) -> list[int]:
        message = self._message(facts)
        fired: list[int] = []
        sentinel_seen = False
        with ENGINE_LOCK:
            message["sid"] = sid = self._session()
            message["id"] = str(next(self._messages))
            kept = False
            try:
                text = _json(message)
                state = dre.assert_fact(self._handle, text)[1]
                started = dre.start_action_for_state(self._handle, state)
                action = started[1] if started else None
                while action:
                    name = action[2 : action.index('"', 2)]  # '{"r12":{...}}' -> r12
                    if name == SENTINEL:
                        sentinel_seen = True
                    else:
                        fired.append(int(name[1:]))
                    action = dre.complete_and_start_action(self._handle, state)
                if self._always is not None:  # the policy's `always` rule is the sentinel
                    sentinel_seen = self._always in fired
                if sentinel_seen:
                    dre.retract_fact(self._handle, text)  # the session is empty again
                    kept = True
            finally:
                if kept:
                    self._idle.append(sid)
                else:  # anything unexpected: the session goes, as every one did before
                    dre.delete_state(self._handle, sid)
        if not sentinel_seen:
            raise RuntimeError("durable-rules did not run the sentinel rule; refusing to "
                               "trust this evaluation")
        # durable-rules runs an action once per matching branch of an `$or`
        return sorted(set(fired))

    def _session(self) -> str:
        """An idle session of this ruleset, else a new one. A session is used by one
        evaluation at a time (``list.pop`` is atomic), so at most as many exist as
        evaluations ever ran at once: the live-session cap holds as before."""
        try:
            return self._idle.pop()
        except IndexError:
            return str(next(self._sessions))
