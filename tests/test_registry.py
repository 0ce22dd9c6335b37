"""policies.yaml: hashes, overlapping dates, missing files, and choosing a version by date."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from decision_engine.errors import PolicyError, PolicyErrors, UnknownPolicyError
from decision_engine.policy.registry import Registry, bundled_root, default_root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_the_bundled_registry_loads(registry: Registry) -> None:
    assert "gravity-matrix" in registry.families()
    assert {pv.version for pv in registry.versions("gravity-matrix")} >= {
        "acpo-2013", "npcc-2023", "npcc-2025"}


def test_a_file_edited_after_approval_is_refused(policy_root: Path) -> None:
    edit(policy_root / "rules/gravity-matrix/npcc-2023.yaml", "value: 1\n", "value: 2\n")
    with pytest.raises(PolicyError) as err:
        Registry.load(policy_root)
    assert err.value.code == "hash-mismatch"
    assert "rules/gravity-matrix/npcc-2023.yaml" in str(err.value)
    assert re.search(r"policies\.yaml:\d+:\d+", str(err.value))


def test_overlapping_approved_versions_are_refused(policy_root: Path) -> None:
    edit(policy_root / "policies.yaml", "effective_to: 2023-10-01", "effective_to: 2023-11-01")
    with pytest.raises(PolicyErrors) as err:
        Registry.load(policy_root)
    # the edit breaks acpo-2013's entry pin too (docs/authoring.md); both are reported
    by_code = {e.code: str(e) for e in err.value.errors}
    assert set(by_code) == {"entry-hash-mismatch", "overlapping-versions"}
    assert "acpo-2013" in by_code["overlapping-versions"]
    assert "npcc-2023" in by_code["overlapping-versions"]


def test_a_missing_file_is_named(policy_root: Path) -> None:
    (policy_root / "rules/gravity-matrix/npcc-2025.yaml").unlink()
    with pytest.raises(PolicyError) as err:
        Registry.load(policy_root)
    assert err.value.code == "missing-file"
    assert "rules/gravity-matrix/npcc-2025.yaml" in str(err.value)


@pytest.mark.parametrize(("day", "version"), [
    (dt.date(2013, 4, 8), "acpo-2013"),
    (dt.date(2023, 9, 30), "acpo-2013"),
    (dt.date(2023, 10, 1), "npcc-2023"),
    (dt.date(2025, 1, 31), "npcc-2023"),
    (dt.date(2025, 2, 1), "npcc-2025"),
    (dt.date(2030, 1, 1), "npcc-2025"),
])
def test_the_version_in_force_is_chosen_at_the_boundaries(registry: Registry, day: dt.date,
                                                          version: str) -> None:
    # the published policy in force, as its current approved revision (issue 9: a
    # corrected encoding supersedes the original on the same dates)
    assert registry.select("gravity-matrix", day).version == registry.current(
        "gravity-matrix", version)


def test_nothing_in_force_before_the_first_version(registry: Registry) -> None:
    with pytest.raises(UnknownPolicyError, match="2013-04-07"):
        registry.select("gravity-matrix", dt.date(2013, 4, 7))


def test_drafts_are_used_only_when_named(policy_root: Path) -> None:
    draft = policy_root / "rules/gravity-matrix/npcc-2027-draft.yaml"
    text = (policy_root / "rules/gravity-matrix/npcc-2025.yaml").read_text()
    draft.write_text(text.replace("version: npcc-2025", "version: npcc-2027-draft"))
    anchor = "      - version: npcc-2025\n"  # other families may follow gravity-matrix
    edit(policy_root / "policies.yaml", anchor,
         "      - version: npcc-2027-draft\n"
         "        file: rules/gravity-matrix/npcc-2027-draft.yaml\n"
         "        status: draft\n"
         "        effective_from: 2027-01-01\n" + anchor)
    registry = Registry.load(policy_root)
    assert registry.select("gravity-matrix", dt.date(2027, 6, 1)).version == \
        registry.current("gravity-matrix", "npcc-2025")
    named = registry.select("gravity-matrix", dt.date(2027, 6, 1), "npcc-2027-draft")
    assert named.entry.status == "draft"


def test_unknown_family_and_version_are_explained(registry: Registry) -> None:
    with pytest.raises(UnknownPolicyError, match="unknown policy family 'gravity'"):
        registry.select("gravity", dt.date(2024, 1, 1))
    with pytest.raises(UnknownPolicyError, match="no version 'npcc-2099'"):
        registry.select("gravity-matrix", dt.date(2024, 1, 1), "npcc-2099")


def test_a_missing_registry_names_where_it_looked(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECISION_ENGINE_POLICY_ROOT", str(tmp_path / "nowhere"))
    with pytest.raises(PolicyError) as err:
        Registry.load()
    assert err.value.code == "missing-file"
    assert str(tmp_path / "nowhere") in str(err.value)
    assert "DECISION_ENGINE_POLICY_ROOT" in str(err.value)


def test_outside_a_checkout_the_bundled_policies_are_used(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DECISION_ENGINE_POLICY_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_root() == bundled_root()
    assert "gravity-matrix" in Registry.load().families()


# -- revisions: `supersedes` and `corrects` ---------------------------------------------

def _add_draft(root: Path, version: str, extra: str, family_anchor: str = "npcc-2025") -> str:
    """Register a draft copy of npcc-2025 as *version* with *extra* entry lines; returns
    the registry text."""
    text = (root / "rules/gravity-matrix/npcc-2025.yaml").read_text()
    (root / f"rules/gravity-matrix/{version}.yaml").write_text(
        text.replace("version: npcc-2025\n", f"version: {version}\n", 1))
    anchor = f"      - version: {family_anchor}\n"
    edit(root / "policies.yaml", anchor,
         f"      - version: {version}\n"
         f"        file: rules/gravity-matrix/{version}.yaml\n"
         "        status: draft\n"
         "        effective_from: 2025-02-01\n" + extra + anchor)
    return (root / "policies.yaml").read_text()


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("extra", "code", "needle", "message"), [
    ("        supersedes: npcc-2099\n        corrects: [a citation]\n",
     "unknown-supersedes", "supersedes: npcc-2099", "'npcc-2099', which is not a version of"),
    # a version of another family is not a target: supersession stays inside a family
    ("        supersedes: cjca-2015\n        corrects: [a citation]\n",
     "unknown-supersedes", "supersedes: cjca-2015", "not a version of gravity-matrix"),
    ("        supersedes: npcc-2025\n",
     "missing-corrects", "supersedes: npcc-2025", "does not say what it corrects"),
    ("        corrects: [a citation]\n",
     "corrects-without-supersedes", "corrects: [a citation]", "names no version it supersedes"),
    ("        supersedes: npcc-2025-x\n        corrects: [a citation]\n",
     "bad-supersedes", "supersedes: npcc-2025-x", "supersedes itself"),
])
def test_a_bad_supersedes_is_refused_at_its_line(policy_root: Path, extra: str, code: str,
                                                 needle: str, message: str) -> None:
    text = _add_draft(policy_root, "npcc-2025-x", extra)
    with pytest.raises(PolicyError) as err:
        Registry.load(policy_root)
    errors = err.value.errors if isinstance(err.value, PolicyErrors) else [err.value]
    (found,) = [e for e in errors if e.code == code]
    assert message in str(found)
    assert str(found).startswith(f"policies.yaml:{_line_of(text, needle)}:9: {code}")


def test_a_supersedes_cycle_is_refused(policy_root: Path) -> None:
    _add_draft(policy_root, "npcc-2025-x",
               "        supersedes: npcc-2025-y\n        corrects: [one]\n")
    _add_draft(policy_root, "npcc-2025-y",
               "        supersedes: npcc-2025-x\n        corrects: [two]\n")
    with pytest.raises(PolicyErrors) as err:
        Registry.load(policy_root)
    cycles = [str(e) for e in err.value.errors if e.code == "supersedes-cycle"]
    assert len(cycles) == 2 and "npcc-2025-x → npcc-2025-y → npcc-2025-x" in cycles[0] + cycles[1]


def test_a_revision_may_overlap_only_the_version_it_supersedes(policy_root: Path) -> None:
    """Approved revisions sharing dates with the version they supersede load; two approved
    versions overlapping without supersession are still refused (see above)."""
    from decision_engine.policy.registry import VersionEntry, entry_digest, file_sha256

    target = Registry.load(policy_root).current("gravity-matrix", "npcc-2025")
    text = (policy_root / "rules/gravity-matrix/npcc-2025.yaml").read_text()
    path = policy_root / "rules/gravity-matrix/npcc-2025-rx.yaml"
    path.write_text(text.replace("version: npcc-2025\n", "version: npcc-2025-rx\n", 1))
    fields = {"version": "npcc-2025-rx", "file": "rules/gravity-matrix/npcc-2025-rx.yaml",
              "status": "approved", "effective_from": "2025-02-01", "approved_by": "T",
              "approved_on": "2026-11-29", "sha256": file_sha256(path),
              "supersedes": target, "corrects": ["a test correction"]}
    pin = entry_digest(VersionEntry.model_validate(fields))
    anchor = "  enhanced-case-management:\n"
    block = ("      - version: npcc-2025-rx\n"
             "        file: rules/gravity-matrix/npcc-2025-rx.yaml\n"
             "        status: approved\n        effective_from: 2025-02-01\n"
             "        approved_by: T\n        approved_on: 2026-11-29\n"
             f"        sha256: {fields['sha256']}\n        entry_sha256: {pin}\n"
             f"        supersedes: {target}\n        corrects: [a test correction]\n")
    edit(policy_root / "policies.yaml", anchor, block + anchor)
    registry = Registry.load(policy_root)
    assert registry.select("gravity-matrix", dt.date(2026, 1, 1)).version == "npcc-2025-rx"
    assert registry.current("gravity-matrix", "npcc-2025") == "npcc-2025-rx"
    for named in ("npcc-2025", target):  # superseded versions still run when named
        assert registry.select("gravity-matrix", dt.date(2026, 1, 1), named).version == named
    # the pin covers supersedes and corrects: editing what a revision corrects is refused
    edit(policy_root / "policies.yaml", "corrects: [a test correction]",
         "corrects: [another text]")
    with pytest.raises(PolicyError) as err:
        Registry.load(policy_root)
    assert err.value.code == "entry-hash-mismatch"


def test_read_without_positions_is_the_same_registry(registry: Registry) -> None:
    """Registry.load reads without node positions (libyaml's C parser); the registry
    must be exactly the one the round-trip reading gives."""
    positioned = Registry._load(registry.root, positions=True)
    assert registry.families() == positioned.families()
    for family in registry.families():
        fast, slow = registry.versions(family), positioned.versions(family)
        assert [pv.version for pv in fast] == [pv.version for pv in slow]
        for a, b in zip(fast, slow, strict=True):
            assert a.policy == b.policy and a.entry == b.entry
            assert (a.sha256, a.text, a.path) == (b.sha256, b.text, b.path)
    assert registry.signoffs._by_version == positioned.signoffs._by_version


def test_an_error_found_without_positions_is_named_with_them(policy_root: Path) -> None:
    """The reading without positions finds the error; the reading again with them names
    its line (not the 1:1 a tree without positions would give)."""
    edit(policy_root / "rules/gravity-matrix/npcc-2023.yaml", "value: 1\n", "value: 2\n")
    with pytest.raises(PolicyError) as err:
        Registry.load(policy_root)
    where = re.search(r"policies\.yaml:(\d+):(\d+)", str(err.value))
    assert where is not None and int(where.group(1)) > 1, str(err.value)


def test_a_tag_is_read_the_round_trip_way_only() -> None:
    from decision_engine.policy.loader import parse_yaml

    assert type(parse_yaml("a: 1\n", "f", positions=False)) is dict  # the fast reader
    tagged = "a: !!str 1\n"
    assert type(parse_yaml(tagged, "f", positions=False)["a"]) is \
        type(parse_yaml(tagged, "f")["a"])  # not read two ways


@pytest.mark.parametrize("text", ["a: [1, 2\n", "a: 1\na: 2\n", "a: \"\\x\"\n", "\ta: 1\n"])
def test_bad_yaml_read_without_positions_says_where_as_before(text: str) -> None:
    """A text the fast reader refuses is refused by the round-trip reader in its words."""
    from decision_engine.policy.loader import parse_yaml

    with pytest.raises(PolicyError) as fast:
        parse_yaml(text, "f.yaml", positions=False)
    with pytest.raises(PolicyError) as slow:
        parse_yaml(text, "f.yaml")
    assert str(fast.value) == str(slow.value)
    assert re.search(r"f\.yaml:\d+:\d+", str(fast.value))
