"""The engine's per-version memos: plain dicts, bounded by emptying.

Each memo maps something a decision depends on (a set of fired rules, a reduced case, the
values a reason reads) to what it gives. Values are rebuilt cheaply and are the same
every time, so a full memo is simply emptied: no eviction order to keep, and a decision
never depends on what happened to be remembered.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def keep(memo: dict[K, V], key: K, value: V, cap: int) -> V:
    """*value*, stored under *key* (*memo* emptied first when it holds *cap* entries)."""
    if len(memo) >= cap:
        memo.clear()
    memo[key] = value
    return value
