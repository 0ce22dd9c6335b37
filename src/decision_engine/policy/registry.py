"""policies.yaml: which versions of each family exist, when each is in force, and proof
that an approved file has not been edited since approval (its sha256).

Dates follow OpenFisca's habit: a version is in force from ``effective_from`` (inclusive)
up to ``effective_to`` (exclusive), so a successor starts the day its predecessor stops.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from decision_engine.errors import Location, PolicyError, PolicyErrors, UnknownPolicyError
from decision_engine.policy import checker
from decision_engine.policy import model as m
from decision_engine.policy import signoffs as signoff_file
from decision_engine.policy.loader import load_yaml_file, locate, validate

Status = Literal["draft", "approved", "retired"]


class VersionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    file: str
    status: Status
    effective_from: dt.date
    effective_to: dt.date | None = None
    approved_by: str | None = None
    approved_on: dt.date | None = None
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    entry_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None, description="Pins this entry's own fields (dates, file, status, "
        "approval, sha256, and any other field but `note`) once approved: see entry_digest.")
    supersedes: str | None = Field(
        default=None, description="The version of the same family this one corrects: a "
        "new encoding of the same published policy. Where both are in force, this one is "
        "selected for new decisions; decisions recorded under the old one still replay "
        "under it.")
    corrects: list[str] = Field(
        default_factory=list, description="What this revision corrects, in short texts "
        "(with `supersedes`).")
    note: str = ""

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


class FamilyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    description: str = ""
    versions: list[VersionEntry] = Field(min_length=1)


class RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    families: dict[str, FamilyEntry]


class PolicyVersion:
    """One registered version: its registry entry and its parsed, checked policy."""

    def __init__(self, family: str, entry: VersionEntry, policy: m.Policy, sha256: str,
                 path: Path, text: str) -> None:
        self.family = family
        self.entry = entry
        self.policy = policy
        self.sha256 = sha256
        self.path = path
        self.text = text

    @property
    def version(self) -> str:
        return self.entry.version


_UNPINNED = {"note", "entry_sha256"}


def entry_digest(entry: VersionEntry) -> str:
    """sha256 of the entry's canonical JSON (sorted keys, fields left at their defaults
    omitted, so a field added to the registry later leaves existing pins valid), without
    ``note`` (commentary) and the pin itself. Approval writes it; loading recomputes it."""
    fields = entry.model_dump(mode="json", exclude=_UNPINNED, exclude_defaults=True)
    fields.update(version=entry.version, file=entry.file, status=entry.status,
                  effective_from=entry.effective_from.isoformat())
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _supersedes(fam: FamilyEntry, newer: VersionEntry, older: VersionEntry) -> bool:
    """*newer* supersedes *older*, directly or through a chain of revisions."""
    by_name = {v.version: v for v in fam.versions}
    seen: set[str] = set()
    step: VersionEntry | None = newer
    while step is not None and step.supersedes is not None and step.version not in seen:
        seen.add(step.version)
        if step.supersedes == older.version:
            return True
        step = by_name.get(step.supersedes)
    return False


def superseded_by(fam: FamilyEntry, entry: VersionEntry) -> list[str]:
    """The approved versions that directly supersede *entry* (for listings)."""
    return [v.version for v in fam.versions
            if v.supersedes == entry.version and v.status == "approved"]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_policy_file(path: Path, display: str | None = None, *, positions: bool = True
                     ) -> tuple[m.Policy, str]:
    """Parse, validate and check one policy file; returns it and its text. Without
    *positions* an error names no line (see ``Registry.load``)."""
    name = display or str(path)
    text, root = load_yaml_file(path, name, positions=positions)
    policy = validate(m.Policy, root, name)
    checker.check(policy, root, name)
    return policy, text


POLICY_ROOT_ENV = "DECISION_ENGINE_POLICY_ROOT"


def default_root() -> Path:
    """Where policies.yaml lives: $DECISION_ENGINE_POLICY_ROOT (a service's own policies),
    the working directory when it holds a policies.yaml, else the bundled policies shipped
    inside this package (read through importlib.resources, so a wheel works anywhere)."""
    env = os.environ.get(POLICY_ROOT_ENV)
    if env:
        return Path(env)
    cwd = Path.cwd()
    if (cwd / "policies.yaml").exists():
        return cwd
    return bundled_root()


def bundled_root() -> Path:
    """The directory of the bundled policies.yaml, rules/ and examples/."""
    return Path(str(resources.files("decision_engine.bundled")))


def registry_not_found(root: Path) -> PolicyError:
    """The error when *root* holds no policies.yaml: where it looked and how to point it
    elsewhere, since the root is chosen silently (env, working directory, bundled)."""
    env = os.environ.get(POLICY_ROOT_ENV)
    how = (f"{POLICY_ROOT_ENV}={env}" if env else
           f"{POLICY_ROOT_ENV} is not set, and the working directory ({Path.cwd()}) has no "
           f"policies.yaml, so the bundled policies ({bundled_root()}) were tried")
    return PolicyError("policies.yaml", "missing-file",
                       f"no policies.yaml in {root.absolute()} ({how}); set {POLICY_ROOT_ENV} "
                       "to a directory holding policies.yaml and rules/")


class Registry:
    """All families and versions, loaded and verified up front (fail at start-up, not
    mid-decision)."""

    def __init__(self, root: Path, versions: dict[str, dict[str, PolicyVersion]],
                 families: dict[str, FamilyEntry],
                 signoffs: signoff_file.SignOffs | None = None) -> None:
        self.root = root
        self._versions = versions
        self._families = families
        self.signoffs = signoffs or signoff_file.SignOffs([])
        """Local sign-offs of unverified rows and parameters (``signoffs.yaml``)."""
        self._in_force: dict[tuple[str, dt.date], PolicyVersion] = {}
        """(family, day) → the version select() chose by date: a registry never changes
        once loaded, and choosing costs ~10 µs (every version's dates and supersession)."""
        # family → version → the approved versions superseding it (directly or through a
        # chain), computed once: select() runs for every decision
        self._superseders = {
            family: {v.version: {w.version for w in fam.versions
                                 if w.status == "approved" and _supersedes(fam, w, v)}
                     for v in fam.versions}
            for family, fam in families.items()}

    @classmethod
    def load(cls, root: Path | None = None) -> Registry:
        """The registry under *root* with every version loaded and checked.

        Read first without node positions (libyaml's C parser, ~0.3 s for the bundled
        policies against ~2 s); if anything is wrong, read again with them, so every
        error names file:line:column as before (and that reading is the one that counts).
        """
        root = root or default_root()
        try:
            return cls._load(root, positions=False)
        except PolicyError:
            return cls._load(root, positions=True)

    @classmethod
    def _load(cls, root: Path, *, positions: bool) -> Registry:
        reg_path = root / "policies.yaml"
        if not reg_path.is_file():
            raise registry_not_found(root)
        _, tree = load_yaml_file(reg_path, "policies.yaml", positions=positions)
        registry = validate(RegistryFile, tree, "policies.yaml")
        errors: list[PolicyError] = []
        versions: dict[str, dict[str, PolicyVersion]] = {}
        for family, fam in registry.families.items():
            versions[family] = {}
            for i, entry in enumerate(fam.versions):
                where = locate(tree, ("families", family, "versions", i), "policies.yaml")
                try:
                    pv = cls._load_version(root, family, entry, where, positions)
                except PolicyError as exc:
                    errors.extend(exc.errors if isinstance(exc, PolicyErrors) else [exc])
                    continue
                if entry.version in versions[family]:
                    errors.append(PolicyError(where, "duplicate-version",
                                              f"{family} {entry.version} is registered twice"))
                versions[family][entry.version] = pv
            errors.extend(cls._supersessions(family, fam, tree))
            errors.extend(cls._overlaps(family, fam, tree))
        if errors:
            raise PolicyErrors(errors)
        return cls(root, versions, dict(registry.families),
                   signoff_file.load(root, versions, positions=positions))

    @staticmethod
    def _load_version(root: Path, family: str, entry: VersionEntry,
                      where: Location, positions: bool) -> PolicyVersion:
        path = root / entry.file
        if not path.is_file():
            raise PolicyError(where, "missing-file",
                              f"{family} {entry.version}: file {entry.file} not found")
        actual = file_sha256(path)
        if entry.status != "draft" and entry.sha256 is None:
            raise PolicyError(where, "missing-hash",
                              f"{family} {entry.version} is {entry.status} but has no sha256")
        if entry.sha256 is not None and entry.sha256 != actual:
            raise PolicyError(where, "hash-mismatch",
                              f"{entry.file} does not match the sha256 recorded at approval "
                              f"(recorded {entry.sha256[:12]}…, file is {actual[:12]}…): it was "
                              "edited after approval; register the change as a new version")
        if entry.status == "approved" and not (entry.approved_by and entry.approved_on):
            raise PolicyError(where, "unapproved",
                              f"{family} {entry.version} is approved but names no approved_by/on")
        Registry._check_pin(family, entry, where)
        policy, text = load_policy_file(path, entry.file, positions=positions)
        if (policy.family, policy.version) != (family, entry.version):
            raise PolicyError(Location(entry.file, 1, 1), "registry-mismatch",
                              f"file declares {policy.family} {policy.version} but policies.yaml "
                              f"registers it as {family} {entry.version}")
        return PolicyVersion(family, entry, policy, actual, path, text)

    @staticmethod
    def _check_pin(family: str, entry: VersionEntry, where: Location) -> None:
        """An approved (or retired) entry is as frozen as its file: its dates, file,
        status and approval are pinned by entry_sha256."""
        if entry.status == "draft" and entry.entry_sha256 is None:
            return
        digest = entry_digest(entry)
        if entry.entry_sha256 is None:
            raise PolicyError(where, "missing-entry-hash",
                              f"{family} {entry.version} is {entry.status} but its registry "
                              "entry is not pinned (no entry_sha256); `decision-engine approve` "
                              "writes it")
        if entry.entry_sha256 != digest:
            raise PolicyError(where, "entry-hash-mismatch",
                              f"{family} {entry.version}: this {entry.status} registry entry was "
                              "edited after approval (its dates, file, status, approval or sha256 "
                              f"no longer match entry_sha256 {entry.entry_sha256[:12]}…); an "
                              "approved entry is never edited: register a correction as a new "
                              "version")

    @staticmethod
    def _supersessions(family: str, fam: FamilyEntry, tree: object) -> list[PolicyError]:
        """A ``supersedes`` names another version of the same family, never itself, never
        in a cycle, and comes with what it ``corrects``; ``corrects`` without a target is
        refused. Errors point at the key in policies.yaml."""
        errors = []
        names = {v.version for v in fam.versions}
        by_name = {v.version: v for v in fam.versions}

        def at(i: int, key: str) -> Location:
            return locate(tree, ("families", family, "versions", i, key), "policies.yaml")

        for i, v in enumerate(fam.versions):
            target = v.supersedes
            if target is None:
                if v.corrects:
                    errors.append(PolicyError(
                        at(i, "corrects"), "corrects-without-supersedes",
                        f"{family} {v.version} lists what it corrects but names no version it "
                        "supersedes; add `supersedes: VERSION`"))
                continue
            if target == v.version:
                errors.append(PolicyError(at(i, "supersedes"), "bad-supersedes",
                                          f"{family} {v.version} supersedes itself"))
                continue
            if target not in names:
                errors.append(PolicyError(
                    at(i, "supersedes"), "unknown-supersedes",
                    f"{family} {v.version} supersedes {target!r}, which is not a version of "
                    f"{family} (known: {', '.join(sorted(names - {v.version}))})"))
                continue
            if not v.corrects:
                errors.append(PolicyError(
                    at(i, "supersedes"), "missing-corrects",
                    f"{family} {v.version} supersedes {target} but does not say what it "
                    "corrects; add `corrects:` with a short text per correction"))
            chain = [v.version]
            step: VersionEntry | None = by_name[target]
            while step is not None:
                chain.append(step.version)
                if step.version == v.version:
                    errors.append(PolicyError(
                        at(i, "supersedes"), "supersedes-cycle",
                        f"{family} {v.version}: supersedes forms a cycle "
                        f"({' → '.join(chain)})"))
                    break
                if step.supersedes is None or len(chain) > len(names):
                    break
                step = by_name.get(step.supersedes)
        return errors

    @staticmethod
    def _overlaps(family: str, fam: FamilyEntry, tree: object) -> list[PolicyError]:
        errors = []
        approved = [(i, v) for i, v in enumerate(fam.versions) if v.status == "approved"]
        for a_i, (i, a) in enumerate(approved):
            if a.effective_to is not None and a.effective_to <= a.effective_from:
                errors.append(PolicyError(
                    locate(tree, ("families", family, "versions", i), "policies.yaml"),
                    "bad-dates", f"{family} {a.version}: effective_to is not after effective_from"))
            for j, b in approved[a_i + 1:]:
                a_end = a.effective_to or dt.date.max
                b_end = b.effective_to or dt.date.max
                if (a.effective_from < b_end and b.effective_from < a_end
                        and not _supersedes(fam, a, b) and not _supersedes(fam, b, a)):
                    errors.append(PolicyError(
                        locate(tree, ("families", family, "versions", j), "policies.yaml"),
                        "overlapping-versions",
                        f"{family}: approved versions {a.version} and {b.version} are both in "
                        "force on some dates; give one an effective_to"))
        return errors

    # -- queries ------------------------------------------------------------------

    def families(self) -> list[str]:
        return list(self._versions)

    def family(self, family: str) -> FamilyEntry:
        if family not in self._families:
            known = ", ".join(self._versions)
            raise UnknownPolicyError(f"unknown policy family {family!r}; known: {known}")
        return self._families[family]

    def versions(self, family: str) -> list[PolicyVersion]:
        self.family(family)
        return list(self._versions[family].values())

    def get(self, family: str, version: str) -> PolicyVersion:
        self.family(family)
        try:
            return self._versions[family][version]
        except KeyError:
            known = ", ".join(self._versions[family])
            raise UnknownPolicyError(
                f"{family} has no version {version!r}; known: {known}") from None

    def superseders(self, family: str, version: str) -> set[str]:
        """The approved versions that supersede *version* (directly or through a chain):
        on the days one of them is in force, *version* is never selected by date."""
        self.get(family, version)
        return set(self._superseders[family][version])

    def current(self, family: str, version: str) -> str:
        """The approved revision that stands in for *version* on its dates: *version*
        itself, or the last of the approved revisions superseding it (a chain r2 → r3).
        Where two approved revisions supersede one version (on different dates), the
        first registered is followed."""
        fam = self.family(family)
        self.get(family, version)
        seen = {version}
        while True:
            newer = [v for v in superseded_by(fam, self._versions[family][version].entry)
                     if v not in seen]
            if not newer:
                return version
            version = newer[0]
            seen.add(version)

    def select(self, family: str, on: dt.date, version: str | None = None) -> PolicyVersion:
        """The named version (drafts only when named), else the approved one in force: of
        approved versions in force on *on*, the one no other of them supersedes (loading
        refuses overlaps that supersession does not explain, so there is one)."""
        if version is not None:
            return self.get(family, version)
        held = self._in_force.get((family, on))
        if held is not None:
            return held
        held = self._select(family, on)
        if len(self._in_force) >= 4096:
            self._in_force.clear()
        self._in_force[(family, on)] = held
        return held

    def _select(self, family: str, on: dt.date) -> PolicyVersion:
        candidates = [pv for pv in self.versions(family)
                      if pv.entry.status == "approved" and pv.entry.in_force(on)]
        superseders = self._superseders[family]
        in_force = {pv.version for pv in candidates}
        for pv in candidates:
            if not superseders[pv.version] & in_force:
                return pv
        raise UnknownPolicyError(
            f"no approved {family} version is in force on {on.isoformat()}")
