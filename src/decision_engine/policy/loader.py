"""Read policy YAML with positions, so every error names file:line:column.

ruamel.yaml (YAML 1.2) refuses duplicate keys and does not read ``no`` as false; the
round-trip loader keeps each node's position, which we use to place pydantic's errors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from decision_engine.errors import Location, PolicyError, PolicyErrors

M = TypeVar("M", bound=BaseModel)


_TAG = re.compile(r"(?:^|[\s,\[{])!", re.MULTILINE)
"""Where a YAML tag (``!!str``, ``!local``) could open. The round-trip loader keeps a
tagged scalar as a ``TaggedScalar`` where the fast one reads its value, so a text that
may hold a tag is read the round-trip way only: both accept the same files."""


def parse_yaml(text: str, file: str, *, positions: bool = True) -> Any:
    """Parse YAML; syntax errors become PolicyError.

    With *positions* (the default) the round-trip loader keeps each node's line and
    column, which error messages name. Without, the safe loader reads the same YAML 1.2
    into plain data through libyaml's C parser (``ruamel.yaml.clib``), ~6x faster: for
    a load that is redone with positions when anything is wrong (``Registry.load``).
    """
    if not positions and not _TAG.search(text):
        fast = YAML(typ="safe")  # the C parser when ruamel.yaml.clib is installed
        fast.allow_duplicate_keys = False
        try:
            return fast.load(text)
        except YAMLError:
            pass  # whatever is wrong, the round-trip loader below says it, and where
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        col = mark.column + 1 if mark else 0
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise PolicyError(Location(file, line, col), "yaml", problem or str(exc)) from None


def plain(node: Any) -> Any:
    """ruamel's commented containers and scalar subclasses → plain Python data."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return node
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    if isinstance(node, str):
        return str(node)
    return node


def locate(root: Any, path: Iterable[Any], file: str) -> Location:
    """Best position for a path into the document: the deepest node that exists."""
    line, col = 1, 1
    node = root
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line, col = node.lc.key(part)
            line, col = line + 1, col + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, col = node.lc.item(part)
            line, col = line + 1, col + 1
            node = node[part]
        # discriminator tags and model names in pydantic's loc are not document keys
    return Location(file, line, col)


def validate(model: type[M], root: Any, file: str) -> M:
    """Validate parsed YAML into ``model``; all errors at once, each with its position."""
    try:
        return model.model_validate(plain(root))
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(document)"
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = "unknown key; check the spelling against docs/policy-language.md"
            errors.append(
                PolicyError(locate(root, err["loc"], file), "schema", f"{where}: {message}")
            )
        raise PolicyErrors(errors) from None


def load_yaml_file(path: Path, display: str | None = None, *, positions: bool = True
                   ) -> tuple[str, Any]:
    """The file's text and parsed tree (:func:`parse_yaml`); a missing file is a
    PolicyError naming it."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(Location(name), "missing-file", "file not found") from None
    return text, parse_yaml(text, name, positions=positions)
