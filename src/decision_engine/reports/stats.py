"""Counts, rates and relative rate indices with small-number suppression.

Kept apart from the reports so the arithmetic can be checked against hand-computed
figures (``tests/reports/test_stats.py``) without a store.

* A *cell* (a count) below the suppression threshold is shown as suppressed and is never
  used: not in a rate, not in an index. A group whose total is below the threshold is
  suppressed whole. Zero is below any threshold of 1 or more, so a zero count is
  suppressed too (it would otherwise reveal the complement).
* The *rate* of an outcome in a group is its count over the group's total.
* The *relative rate index* (RRI) of a group is its rate over the reference group's rate.
  Its 95% confidence interval is the log (Katz) interval for a ratio of two proportions:
  ``exp(ln RRI ± 1.96 · sqrt(1/a − 1/n + 1/c − 1/m))`` where ``a`` of ``n`` is the group
  and ``c`` of ``m`` the reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054
"""The standard normal quantile for a two-sided 95% interval."""

DEFAULT_THRESHOLD = 5
"""Cells below 5 are suppressed unless a report is asked for another threshold."""

METHOD = ("Rate = count / group total. Relative rate index (RRI) = group rate / reference "
          "group rate. 95% confidence interval: exp(ln RRI ± 1.96 × √(1/a − 1/n + 1/c − 1/m)) "
          "(Katz log method), where a of n is the group and c of m the reference. Counts "
          "below the suppression threshold are shown as suppressed and left out of rates "
          "and indices; a group whose total is below it is suppressed whole.")


@dataclass(frozen=True, slots=True)
class Cell:
    """A count as shown: the number, or suppressed (then ``count`` is ``None``)."""

    count: int | None

    @property
    def suppressed(self) -> bool:
        return self.count is None

    def to_json(self) -> int | str:
        return "suppressed" if self.count is None else self.count

    def __str__(self) -> str:
        return "suppressed" if self.count is None else str(self.count)


def cell(count: int, threshold: int) -> Cell:
    """*count* as shown under *threshold* (``threshold <= 0`` suppresses nothing)."""
    return Cell(None if count < threshold else count)


@dataclass(frozen=True, slots=True)
class RateIndex:
    """One group's figures for one outcome against the reference group."""

    count: Cell
    total: Cell
    rate: float | None
    rri: float | None
    low: float | None
    high: float | None

    def to_json(self) -> dict[str, object]:
        return {"count": self.count.to_json(), "total": self.total.to_json(),
                "rate": _round(self.rate), "rri": _round(self.rri),
                "ci95_low": _round(self.low), "ci95_high": _round(self.high)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def rate(count: Cell, total: Cell) -> float | None:
    """Count over total, or ``None`` when either is suppressed or the total is zero."""
    if count.count is None or total.count is None or total.count == 0:
        return None
    return count.count / total.count


def rri_ci(a: int, n: int, c: int, m: int) -> tuple[float, float, float] | None:
    """RRI of ``a/n`` against ``c/m`` with its 95% interval; ``None`` where undefined
    (a zero count or total: the log interval needs both events and non-events counted)."""
    if min(a, n, c, m) <= 0 or a > n or c > m:
        return None
    rri = (a / n) / (c / m)
    se = math.sqrt(1 / a - 1 / n + 1 / c - 1 / m)
    return rri, math.exp(math.log(rri) - Z95 * se), math.exp(math.log(rri) + Z95 * se)


def rate_index(count: int, total: int, ref_count: int, ref_total: int,
               threshold: int) -> RateIndex:
    """A group's outcome figures, suppressed at *threshold*, indexed on the reference.

    The index is computed only when all four counts are shown: a suppressed cell in the
    group or in the reference leaves it out.
    """
    shown_total = cell(total, threshold)
    shown = cell(count, threshold) if not shown_total.suppressed else Cell(None)
    group_rate = rate(shown, shown_total)
    ref_ok = ref_count >= threshold and ref_total >= threshold
    ci = (rri_ci(count, total, ref_count, ref_total)
          if group_rate is not None and ref_ok else None)
    if ci is None:
        return RateIndex(shown, shown_total, group_rate, None, None, None)
    return RateIndex(shown, shown_total, group_rate, *ci)
