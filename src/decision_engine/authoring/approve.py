"""Approval: check a draft version, then write its status, dates, sha256 and entry pin
into policies.yaml, editing the registry round-trip so comments and layout survive.

The checks (``gate``) run before anything is written: the policy loads and passes the
checker, its lint and proofs pass where those tools exist, its policy tests pass, and the
diff against the version it replaces is shown. Only then does ``write_approval`` touch
the file, and it re-loads the whole registry from the new text before replacing the old,
so an approval can never leave a registry that does not load.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from decision_engine.errors import PolicyError, PolicyErrors
from decision_engine.policy.loader import plain
from decision_engine.policy.registry import (
    PolicyVersion,
    Registry,
    VersionEntry,
    entry_digest,
    file_sha256,
    load_policy_file,
)


class ApprovalError(ValueError):
    """Approval refused: the message says why and what to do."""


def round_trip_yaml() -> YAML:
    """ruamel round-trip YAML: comments, order and layout survive an edit."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _entries(tree: Any) -> Iterator[tuple[str, CommentedMap]]:
    for family, fam in tree["families"].items():
        for entry in fam["versions"]:
            yield str(family), entry


def _set_after(entry: CommentedMap, key: str, value: Any, after: str) -> None:
    """Set ``key``, placed right after ``after`` when it is new (readable diffs)."""
    if key in entry:
        entry[key] = value
        return
    keys = list(entry)
    pos = keys.index(after) + 1 if after in keys else len(keys)
    entry.insert(pos, key, value)


def _pin(entry: CommentedMap) -> str:
    digest = entry_digest(VersionEntry.model_validate(plain(entry)))
    _set_after(entry, "entry_sha256", digest, "sha256")
    return digest


def replace_checked(root: Path, path: Path, text: str) -> None:
    """Write *text* to *path* (a registry file under *root*) only if the whole registry
    then loads; atomic rename, and on failure the old file (or none) is put back."""
    tmp = path.with_name(f".{path.name}.writing")
    previous = path.with_name(f".{path.name}.previous")
    existed = path.exists()
    tmp.write_text(text, encoding="utf-8")
    try:
        if existed:
            os.replace(path, previous)
        os.replace(tmp, path)
        Registry.load(root)
    except PolicyError:
        if existed:
            os.replace(previous, path)
        else:
            path.unlink(missing_ok=True)
        raise
    finally:
        tmp.unlink(missing_ok=True)
    previous.unlink(missing_ok=True)


def _replace(root: Path, tree: Any) -> None:
    buf = io.StringIO()
    round_trip_yaml().dump(tree, buf)
    # the checkout's policies.yaml is a symlink into the package: write its target
    replace_checked(root, (root / "policies.yaml").resolve(), buf.getvalue())


def write_approval(root: Path, family: str, version: str, by: str, on: dt.date,
                   effective_from: dt.date | None = None,
                   effective_to: dt.date | None = None) -> VersionEntry:
    """Mark a draft approved: status, approved_by/on, dates, sha256 and entry_sha256."""
    path = root / "policies.yaml"
    tree = round_trip_yaml().load(path.read_text(encoding="utf-8"))
    found = [e for f, e in _entries(tree) if f == family and e["version"] == version]
    if not found:
        raise ApprovalError(f"policies.yaml registers no {family} {version}; add a draft "
                            "entry (version, file, status: draft, effective_from) first")
    entry = found[0]
    if entry["status"] != "draft":
        raise ApprovalError(f"{family} {version} is {entry['status']}, not a draft: an "
                            "approved entry is never edited; register a new version")
    entry["status"] = "approved"
    if effective_from is not None:
        entry["effective_from"] = effective_from
    if effective_to is not None:
        _set_after(entry, "effective_to", effective_to, "effective_from")
    last = "effective_to" if "effective_to" in entry else "effective_from"
    _set_after(entry, "approved_by", by, last)
    _set_after(entry, "approved_on", on, "approved_by")
    _set_after(entry, "sha256", file_sha256(root / str(entry["file"])), "approved_on")
    _pin(entry)
    _replace(root, tree)
    return VersionEntry.model_validate(plain(entry))


def pin_unpinned(root: Path) -> list[str]:
    """Pin every approved or retired entry that has no entry_sha256 yet (used once, when
    pins were introduced; a new version gets its pin from ``write_approval``)."""
    path = root / "policies.yaml"
    tree = round_trip_yaml().load(path.read_text(encoding="utf-8"))
    pinned = []
    for family, entry in _entries(tree):
        if entry["status"] != "draft" and "entry_sha256" not in entry:
            _pin(entry)
            pinned.append(f"{family} {entry['version']}")
    if pinned:
        _replace(root, tree)
    return pinned


# -- the gate ---------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    ok: bool
    lines: list[str] = field(default_factory=list)


@dataclass
class Gate:
    steps: list[Step]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


def draft_version(root: Path, family: str, version: str) -> PolicyVersion:
    """The draft as it would load: its entry, its checked policy file."""
    registry = Registry.load(root)
    pv = registry.get(family, version)
    if pv.entry.status != "draft":
        raise ApprovalError(f"{family} {version} is {pv.entry.status}, not a draft")
    return pv


def predecessor(registry: Registry, pv: PolicyVersion) -> PolicyVersion | None:
    """The approved version this one replaces: named by ``supersedes`` when the registry
    says so (a revision of the same published policy), else the latest approved version
    starting before it."""
    if pv.entry.supersedes is not None:
        return registry.get(pv.family, pv.entry.supersedes)
    earlier = [v for v in registry.versions(pv.family)
               if v.entry.status == "approved" and v.version != pv.version
               and v.entry.effective_from <= pv.entry.effective_from]
    return max(earlier, key=lambda v: v.entry.effective_from) if earlier else None


def lint_step(pv: PolicyVersion, registry: Registry) -> Step:
    """``decision-engine lint`` on the draft: a finding that counts refuses approval
    (accepted findings and notes are listed, they do not)."""
    from decision_engine.authoring.lint import lint_file

    linted = lint_file(pv.path, pv.entry.file, registry)
    counting = [f for f in linted.findings if f.counts]
    lines = [f.text() for f in linted.findings] or [f"{pv.entry.file}: no findings"]
    return Step("lint", not counting, lines)


def proof_step(pv: PolicyVersion, registry: Registry) -> Step:
    """``decision-engine prove`` on the draft: a property that fails refuses approval,
    with its minimal counterexample. A domain too large to enumerate is said plainly and
    does not refuse (nothing is sampled instead, so nothing is claimed)."""
    from decision_engine.authoring import domain as dom
    from decision_engine.authoring.prove import MAX_CASES, load_side, prove

    policy, _, _ = load_side(pv.policy, pv.path)
    domain = dom.for_version(registry, pv.family, pv.version, policy,
                             rules=dom.outcome_rules(policy), limit=MAX_CASES)
    proof = prove(domain)
    if proof.refused:
        return Step("proofs", True, [f"not proved (nothing claimed): {proof.refused}"])
    if not proof.verdicts:
        return Step("proofs", True, ["no properties declared"])
    lines = [f"over {domain.size:,} reduced cases:"]
    lines += [line for v in proof.verdicts for line in v.lines()]
    return Step("proofs", all(v.holds for v in proof.verdicts), lines)


def diff_step(pv: PolicyVersion, registry: Registry) -> Step:
    """The semantic diff against the version the draft replaces: what changed and every
    reduced case whose outcome changes. Shown for the approver; never refuses."""
    from decision_engine.authoring.diff import diff

    before = predecessor(registry, pv)
    if before is None:
        return Step("diff", True, [f"{pv.family} {pv.version} replaces no approved version"])
    return Step("diff", True, diff(registry, pv.family, before.version, pv.version).lines())


CHECKS: list[Callable[[PolicyVersion, Registry], Step]] = [lint_step, proof_step, diff_step]
"""What approval runs after loading and the policy tests, in this order."""


def gate(root: Path, family: str, version: str,
         extra: list[Callable[[PolicyVersion, Registry], Step]] | None = None) -> Gate:
    """Every check approval needs, each reported whether or not an earlier one failed:
    load and check, policy tests, lint, proofs, and the diff (``extra`` defaults to
    :data:`CHECKS`)."""
    from decision_engine.authoring.policytests import run_family

    steps: list[Step] = []
    try:
        pv = draft_version(root, family, version)
    except (PolicyError, ApprovalError) as exc:
        errs = exc.errors if isinstance(exc, PolicyErrors) else [exc]
        return Gate([Step("load and check", False, [str(e) for e in errs])])
    try:
        load_policy_file(pv.path, pv.entry.file)
        steps.append(Step("load and check", True, [f"{pv.entry.file}: schema and checker ok"]))
    except PolicyError as exc:
        steps.append(Step("load and check", False, [str(exc)]))
    registry = Registry.load(root)
    results = run_family(registry, family, versions={version})
    failed = [r for r in results if not r.ok]
    steps.append(Step("policy tests", bool(results) and not failed,
                      [r.report() for r in results] or [
                          f"no policy test runs {family} {version}: add cases under "
                          f"rules/{family}/tests/ with `version: {version}`"]))
    for check in CHECKS if extra is None else extra:
        try:
            steps.append(check(pv, registry))
        except PolicyError as exc:
            steps.append(Step(check.__name__.removesuffix("_step"), False, [str(exc)]))
    return Gate(steps)


def file_diff(registry: Registry, family: str, version: str) -> str:
    """The draft's file against the file of the version it replaces, as a unified diff."""
    import difflib

    pv = registry.get(family, version)
    before = predecessor(registry, pv)
    if before is None:
        return f"{family} {version} replaces no approved version (first of its family)"
    lines = difflib.unified_diff(before.text.splitlines(keepends=True),
                                 pv.text.splitlines(keepends=True),
                                 fromfile=before.entry.file, tofile=pv.entry.file)
    body = "".join(lines)
    return f"changes against {before.version}:\n{body}" if body else (
        f"{pv.entry.file} is identical to {before.entry.file}")
