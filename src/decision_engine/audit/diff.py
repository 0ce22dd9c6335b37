"""Field-level differences between two JSON values, addressed by JSON path.

Used by replay to say *what* changed when a decision no longer reproduces. Equality is
type-strict for booleans (``true`` is not ``1``), matching canonical-JSON byte equality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Change = Literal["changed", "added", "removed"]


@dataclass(frozen=True, slots=True)
class FieldDiff:
    path: str
    change: Change
    recorded: Any = None
    replayed: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "change": self.change, "recorded": self.recorded,
                "replayed": self.replayed}


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENT.match(key) else f"{path}[{key!r}]"


def json_diff(recorded: Any, replayed: Any, path: str = "$") -> list[FieldDiff]:
    """Leaf-level differences, in document order (object keys sorted)."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        out: list[FieldDiff] = []
        for key in sorted(set(recorded) | set(replayed)):
            where = _child(path, str(key))
            if key not in replayed:
                out.append(FieldDiff(where, "removed", recorded=recorded[key]))
            elif key not in recorded:
                out.append(FieldDiff(where, "added", replayed=replayed[key]))
            else:
                out.extend(json_diff(recorded[key], replayed[key], where))
        return out
    if isinstance(recorded, list) and isinstance(replayed, list):
        out = []
        for index in range(max(len(recorded), len(replayed))):
            where = f"{path}[{index}]"
            if index >= len(replayed):
                out.append(FieldDiff(where, "removed", recorded=recorded[index]))
            elif index >= len(recorded):
                out.append(FieldDiff(where, "added", replayed=replayed[index]))
            else:
                out.extend(json_diff(recorded[index], replayed[index], where))
        return out
    if isinstance(recorded, dict | list) or isinstance(replayed, dict | list):
        return [] if recorded == replayed else [FieldDiff(path, "changed", recorded, replayed)]
    return [] if _same_scalar(recorded, replayed) else [
        FieldDiff(path, "changed", recorded, replayed)]
