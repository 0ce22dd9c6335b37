"""signoffs.yaml: a service's own check of an unverified table row or parameter against
the primary source, recorded beside policies.yaml by ``decision-engine verify-row``.

The policy file stays as approved (the row is still ``verified: false`` nationally); a
sign-off says that *this service* checked it (who, when, against which document and
page). From its ``effective_from`` on, a decision (format 3 on) that rests on the row
shows the sign-off in its provenance instead of a warning, so the warnings shrink as a
service checks the primary matrix.

Replay must give the same bytes forever, so a sign-off can never reach a decision that
is already recorded: it takes effect at the earliest two days after it is written (the
API refuses decision dates more than a day ahead), entries are only ever appended, and
each is pinned by its ``entry_sha256`` like an approved registry entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field

from decision_engine.errors import PolicyError, PolicyErrors
from decision_engine.policy.loader import load_yaml_file, locate, validate

if TYPE_CHECKING:
    from decision_engine.policy.registry import PolicyVersion

FILE = "signoffs.yaml"
LEAD_DAYS = 2
"""A sign-off takes effect at the earliest this many days after it is written."""
Text = Annotated[str, Field(min_length=1, max_length=300)]


class SignOff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    family: Text
    version: Text
    target: Annotated[str, Field(pattern=r"^(param:[a-z0-9_]+|[a-z0-9_]+/[A-Za-z0-9_.-]+)$",
                                 description="`table/row` or `param:name`")]
    by: Text
    signed_on: dt.date
    effective_from: dt.date
    document: Text = Field(description="The primary source checked (title or reference).")
    page: Text = Field(description="Where in it: page, section or paragraph.")
    note: str = ""
    entry_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None

    def words(self) -> str:
        return (f"signed off locally by {self.by} on {self.signed_on.isoformat()} against "
                f"{self.document}, {self.page}")


class SignOffFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    signoffs: list[SignOff] = Field(default_factory=list)


def signoff_digest(s: SignOff) -> str:
    """The pin: every field but ``note`` and the pin itself."""
    body = s.model_dump(mode="json", exclude={"note", "entry_sha256"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


class SignOffs:
    """The sign-offs of a registry, looked up per version and decision date."""

    def __init__(self, entries: list[SignOff]) -> None:
        self.entries = entries
        self._by_version: dict[tuple[str, str], list[SignOff]] = {}
        for s in sorted(entries, key=lambda s: s.effective_from):
            self._by_version.setdefault((s.family, s.version), []).append(s)

    def active(self, family: str, version: str, on: dt.date) -> dict[str, str]:
        """``target`` → the sign-off in words, for the sign-offs in effect on *on*."""
        held = self._by_version.get((family, version))
        if not held:  # most versions have none: no comprehension to run
            return {}
        return {s.target: s.words() for s in held if s.effective_from <= on}

    def for_version(self, family: str, version: str) -> dict[str, str]:
        """Every sign-off of a version, with its date, for a reader of the policy."""
        return {s.target: f"{s.words()}; in effect for decisions from "
                f"{s.effective_from.isoformat()}"
                for s in self._by_version.get((family, version), ())}


def load(root: Path, versions: Mapping[str, Mapping[str, PolicyVersion]], *,
         positions: bool = True) -> SignOffs:
    """``signoffs.yaml`` under *root* (none: no sign-offs), checked against the registry."""
    path = root / FILE
    if not path.is_file():
        return SignOffs([])
    _, tree = load_yaml_file(path, FILE, positions=positions)
    parsed = validate(SignOffFile, tree if tree is not None else {}, FILE)
    errors: list[PolicyError] = []
    seen: set[tuple[str, str, str]] = set()
    for i, s in enumerate(parsed.signoffs):
        where = locate(tree, ("signoffs", i), FILE)
        problem = _problem(s, versions)
        if problem is None and (s.family, s.version, s.target) in seen:
            problem = ("duplicate-signoff", f"{s.target} of {s.family} {s.version} is "
                       "already signed off")
        if problem is None and s.entry_sha256 != signoff_digest(s):
            problem = ("entry-hash-mismatch", f"sign-off of {s.target} ({s.family} "
                       f"{s.version}) was edited after it was written (or has no "
                       "entry_sha256); sign-offs are only ever appended")
        if problem is not None:
            errors.append(PolicyError(where, *problem))
        seen.add((s.family, s.version, s.target))
    if errors:
        raise PolicyErrors(errors)
    return SignOffs(list(parsed.signoffs))


def _problem(s: SignOff, versions: Mapping[str, Mapping[str, PolicyVersion]],
             ) -> tuple[str, str] | None:
    pv = versions.get(s.family, {}).get(s.version)
    if pv is None:
        return "unknown-version", f"no policy version {s.family} {s.version} is registered"
    if s.effective_from < s.signed_on + dt.timedelta(days=LEAD_DAYS):
        return ("too-early", f"effective_from {s.effective_from.isoformat()} is before "
                f"{(s.signed_on + dt.timedelta(days=LEAD_DAYS)).isoformat()}: a sign-off "
                f"takes effect at the earliest {LEAD_DAYS} days after it is written, so no "
                "decision already recorded can change on replay")
    policy = pv.policy
    if s.target.startswith("param:"):
        name = s.target.removeprefix("param:")
        param = policy.parameters.get(name)
        if param is None:
            return "unknown-target", f"{s.family} {s.version} has no parameter {name!r}"
        verified = param.verified
    else:
        table, _, key = s.target.partition("/")
        if table not in policy.tables:
            return "unknown-target", f"{s.family} {s.version} has no table {table!r}"
        row = policy.tables[table].rows.get(key)
        if row is None:
            return "unknown-target", f"table {table!r} of {s.family} {s.version} has no row {key!r}"
        verified = bool(row.get("verified", False))
    if verified:
        return "already-verified", f"{s.target} is verified in the policy itself"
    return None
