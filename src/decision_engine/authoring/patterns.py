"""Sets of reduced-domain cases as a few readable patterns.

A set of cases is covered by products ("offence ∈ {…} and aggravating: 2 members, any
other input"): where the set is the full product of the classes it uses, one pattern;
otherwise it is split on one input and the parts merged back where they agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from decision_engine.authoring.domain import Domain

Index = tuple[int, ...]
Pattern = tuple[frozenset[int], ...]


def _cover(cases: set[Index], width: int) -> list[Pattern]:
    values = [frozenset(t[k] for t in cases) for k in range(width)]
    total = 1
    for v in values:
        total *= len(v)
    if total == len(cases):
        return [tuple(values)]
    k = min((k for k in range(width) if len(values[k]) > 1), key=lambda k: len(values[k]))
    parts: list[Pattern] = []
    for value in sorted(values[k]):
        parts.extend(_cover({t for t in cases if t[k] == value}, width))
    merged: list[Pattern] = []
    for p in parts:  # join patterns that differ only at k
        for i, q in enumerate(merged):
            if all(p[j] == q[j] for j in range(width) if j != k):
                merged[i] = (*q[:k], q[k] | p[k], *q[k + 1:])
                break
        else:
            merged.append(p)
    return merged


@dataclass(frozen=True)
class Described:
    date: int
    pattern: Pattern
    text: str
    count: int


def describe(domain: Domain, cases: Iterable[tuple[int, Index]]) -> list[Described]:
    """Readable patterns covering exactly the given (date class, class index) cases."""
    by_date: dict[int, set[Index]] = {}
    for date, index in cases:
        by_date.setdefault(date, set()).add(index)
    out: list[Described] = []
    for date, indices in sorted(by_date.items()):
        dims = domain.dates[date].dims
        for pattern in _cover(indices, len(dims)):
            parts = [f"decision date {domain.dates[date].label}"] if len(domain.dates) > 1 else []
            count = 1
            for dim, chosen in zip(dims, pattern, strict=True):
                count *= len(chosen)
                if len(chosen) == len(dim.classes):
                    continue
                labels = [dim.classes[i].label for i in sorted(chosen)]
                parts.append(labels[0] if len(labels) == 1 else "(" + " or ".join(labels) + ")")
            out.append(Described(date, pattern, " and ".join(parts) or "every case", count))
    return out
