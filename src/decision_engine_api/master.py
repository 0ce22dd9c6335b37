"""Worker processes end when their ``serve`` master dies.

uvicorn's workers are children of the master. When only the master is killed
(``kill -9``, the OOM killer), nothing told them: they kept serving on the inherited
socket and recording decisions, and a restart failed with "address already in use".
``serve`` puts its pid in the environment; each worker, as it builds its app, asks the
kernel for SIGTERM when its parent dies (Linux ``PR_SET_PDEATHSIG``), or elsewhere
starts a thread that watches its parent pid. SIGTERM is uvicorn's graceful shutdown, so
requests in flight still finish (an acknowledged decision is committed first).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

MASTER_PID_ENV = "DECISION_ENGINE_SERVE_PID"
_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 1.0


def exit_with_master() -> None:
    """In a worker started by ``serve --workers N`` (N > 1), arrange to stop when the
    master dies; anywhere else (one process, tests) do nothing."""
    raw = os.environ.get(MASTER_PID_ENV)
    if not raw or not raw.isdigit() or int(raw) == os.getpid():
        return
    master = int(raw)
    if not _pdeathsig():
        threading.Thread(target=_watch, args=(master,), name="master-watch",
                         daemon=True).start()
    if os.getppid() != master:  # it died before the request above was in place
        os.kill(os.getpid(), signal.SIGTERM)


def _pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(master: int) -> None:
    while os.getppid() == master:
        time.sleep(_POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
