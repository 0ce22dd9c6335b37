"""The example cases that ship with the policies: ``examples/<family>/<name>.json`` under
the policy root (bundled in the package, so an installed wheel has them too).

Each file is a request body for ``POST /v1/decisions/<family>`` carrying the day it was
written for (``decision_date``), so it decides the same way whatever today is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from decision_engine import strict_json
from decision_engine.engine.service import CaseRequest, parse_request


@dataclass(frozen=True)
class Example:
    family: str
    name: str
    path: Path

    @property
    def key(self) -> str:
        return f"{self.family}/{self.name}"

    def request(self) -> CaseRequest:
        """The parsed file (InputError naming the field, ValueError for bad JSON)."""
        return parse_request(strict_json.loads(self.path.read_text(encoding="utf-8")))


def examples(root: Path, family: str | None = None) -> list[Example]:
    """Every example under *root*/examples (of one family if named), sorted."""
    folder = root / "examples"
    pattern = f"{family}/*.json" if family else "*/*.json"
    return [Example(p.parent.name, p.stem, p) for p in sorted(folder.glob(pattern))]


def find_example(root: Path, family: str, name: str) -> Example | None:
    """The example called *name* (``name``, ``name.json`` or ``family/name``) of *family*."""
    name = name.removesuffix(".json")
    if "/" in name:
        named_family, _, name = name.partition("/")
        if named_family != family:
            return None
    path = root / "examples" / family / f"{name}.json"
    return Example(family, name, path) if path.is_file() else None

