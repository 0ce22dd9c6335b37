"""Regular expressions for ``YYYY-MM-DD`` dates within given ranges.

JSON Schema cannot compare dates, but a fixed-width ISO date compares as text, so a
range of days can be written as a pattern. The OpenAPI document uses these for decision
dates (the days each policy version is in force, and no later than tomorrow), so a
schema-valid date is one the service accepts. Each pattern admits 29 February in every
year; ``format: date`` beside it, like the service, refuses it outside leap years.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February: leap years

Interval = tuple[dt.date, dt.date]
"""Both ends included."""


def number_range(lo: int, hi: int, width: int) -> str:
    """A pattern (no anchors) for the *width*-digit, zero-padded numbers lo..hi."""
    if not 0 <= lo <= hi < 10**width:
        raise ValueError(f"bad range {lo}..{hi} for {width} digits")
    return _digits(f"{lo:0{width}d}", f"{hi:0{width}d}")


def _digits(lo: str, hi: str) -> str:
    if not lo:
        return ""
    if lo == hi:
        return lo
    rest = len(lo) - 1
    if lo[1:] == "0" * rest and hi[1:] == "9" * rest:
        head = lo[0] if lo[0] == hi[0] else f"[{lo[0]}-{hi[0]}]"
        return head + ("[0-9]" + (f"{{{rest}}}" if rest > 1 else "") if rest else "")
    if lo[0] == hi[0]:
        return lo[0] + _group(_digits(lo[1:], hi[1:]))
    parts = [lo[0] + _group(_digits(lo[1:], "9" * rest))]
    first, last = int(lo[0]) + 1, int(hi[0]) - 1
    if first <= last:
        parts.append(_digits(f"{first}" + "0" * rest, f"{last}" + "9" * rest))
    parts.append(hi[0] + _group(_digits("0" * rest, hi[1:])))
    return "|".join(parts)


def _group(pattern: str) -> str:
    return f"(?:{pattern})" if "|" in pattern else pattern


def _month_days(first: tuple[int, int], last: tuple[int, int]) -> str:
    """``MM-DD`` from *first* to *last* (month, day) within one year."""
    parts = []
    for month in range(first[0], last[0] + 1):
        lo = first[1] if month == first[0] else 1
        hi = last[1] if month == last[0] else _DAYS_IN_MONTH[month - 1]
        parts.append(f"{month:02d}-{_group(number_range(lo, hi, 2))}")
    return _group("|".join(parts))


def interval_pattern(start: dt.date, end: dt.date) -> str:
    """A pattern (no anchors) for every ``YYYY-MM-DD`` from *start* to *end*."""
    if start > end:
        raise ValueError(f"empty range {start}..{end}")
    whole = _month_days((1, 1), (12, 31))
    if start.year == end.year:
        return f"{start.year:04d}-{_month_days((start.month, start.day), (end.month, end.day))}"
    parts = [f"{start.year:04d}-{_month_days((start.month, start.day), (12, 31))}"]
    if start.year + 1 <= end.year - 1:
        parts.append(f"{_group(number_range(start.year + 1, end.year - 1, 4))}-{whole}")
    parts.append(f"{end.year:04d}-{_month_days((1, 1), (end.month, end.day))}")
    return "|".join(parts)


def dates_pattern(intervals: Iterable[Interval]) -> str:
    """An anchored pattern for the days in any of *intervals*."""
    return "^(?:" + "|".join(interval_pattern(a, b) for a, b in merge(intervals)) + ")$"


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-empty, non-touching intervals covering the same days."""
    out: list[Interval] = []
    for a, b in sorted(i for i in intervals if i[0] <= i[1]):
        # an interval open to the end (dt.date.max, e.g. two open-ended revisions of one
        # version, r2 and r3) touches everything after it; the day after it does not exist
        if out and (out[-1][1] == dt.date.max or a <= out[-1][1] + dt.timedelta(days=1)):
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def subtract(left: Iterable[Interval], right: Iterable[Interval]) -> list[Interval]:
    """The days in *left* and not in *right*."""
    out = merge(left)
    for c, d in merge(right):
        cut: list[Interval] = []
        for a, b in out:
            if d < a or b < c:
                cut.append((a, b))
                continue
            if a < c:
                cut.append((a, c - dt.timedelta(days=1)))
            if d < b:
                cut.append((d + dt.timedelta(days=1), b))
        out = cut
    return merge(out)


def intersect(left: Iterable[Interval], right: Iterable[Interval]) -> list[Interval]:
    """The days in both unions."""
    right = merge(right)
    return merge((max(a, c), min(b, d)) for a, b in merge(left) for c, d in right
                 if max(a, c) <= min(b, d))
