"""Approved registry entries are pinned like approved files, and approval writes the pin
only after the checks pass, keeping the registry's comments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decision_engine.authoring.approve import ApprovalError, gate, write_approval
from decision_engine.cli.main import app
from decision_engine.errors import PolicyErrors
from decision_engine.policy.registry import Registry, bundled_root, entry_digest


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_every_bundled_approved_entry_is_pinned() -> None:
    reg = Registry.load(bundled_root())
    for family in reg.families():
        for pv in reg.versions(family):
            assert pv.entry.entry_sha256 == entry_digest(pv.entry), (family, pv.version)


def test_moving_an_approved_boundary_on_both_entries_fails_loading_with_file_line(
        root: Path) -> None:
    """The planted fixture of issue 10: 2025-02-01 moved to 2025-02-15 on both gravity
    entries is consistent (no overlap, no gap) and used to pass `check`."""
    path = root / "policies.yaml"
    text = path.read_text()
    edited = text.replace("effective_to: 2025-02-01\n        approved_by", "effective_to: "
                          "2025-02-15\n        approved_by", 1)
    edited = edited.replace("version: npcc-2025\n        file: rules/gravity-matrix/npcc-2025.yaml"
                            "\n        status: approved\n        effective_from: 2025-02-01",
                            "version: npcc-2025\n        file: rules/gravity-matrix/npcc-2025.yaml"
                            "\n        status: approved\n        effective_from: 2025-02-15")
    assert edited.count("2025-02-15") == 2
    path.write_text(edited)
    with pytest.raises(PolicyErrors) as err:
        Registry.load(root)
    errors = [e for e in err.value.errors if e.code == "entry-hash-mismatch"]
    assert [str(e.location) for e in errors] == [
        f"policies.yaml:{_line_of(edited, 'version: npcc-2023')}:9",
        f"policies.yaml:{_line_of(edited, 'version: npcc-2025')}:9"]
    assert "edited after approval" in errors[0].message
    out = CliRunner().invoke(app, ["check"], env={"DECISION_ENGINE_POLICY_ROOT": str(root)})
    assert out.exit_code == 2
    assert f"policies.yaml:{_line_of(edited, 'version: npcc-2023')}:9: entry-hash-mismatch" \
        in out.output


@pytest.mark.parametrize(("old", "new"), [
    ("status: approved\n        effective_from: 2013-04-08\n        effective_to: 2023-10-01",
     "status: retired\n        effective_from: 2013-04-08\n        effective_to: 2023-10-01"),
    ("file: rules/gravity-matrix/acpo-2013.yaml", "file: rules/gravity-matrix/./acpo-2013.yaml"),
    ("approved_by: decision-engine founding team (synthetic sign-off)\n        approved_on: "
     "2026-11-22\n        sha256: a334", "approved_by: someone else\n        approved_on: "
     "2026-11-22\n        sha256: a334"),
])
def test_any_pinned_field_edited_fails(root: Path, old: str, new: str) -> None:
    path = root / "policies.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(PolicyErrors) as err:
        Registry.load(root)
    assert [e.code for e in err.value.errors] == ["entry-hash-mismatch"]


def test_a_note_may_be_reworded(root: Path) -> None:
    path = root / "policies.yaml"
    path.write_text(path.read_text().replace("the exact day is not verified",
                                             "the exact day is still not verified"))
    Registry.load(root)


def _add_draft(root: Path) -> None:
    src = root / "rules/gravity-matrix/npcc-2025.yaml"
    draft = src.read_text().replace("version: npcc-2025", "version: npcc-2026", 1)
    (root / "rules/gravity-matrix/npcc-2026.yaml").write_text(draft)
    side = (root / "rules/gravity-matrix/npcc-2025.properties.yaml").read_text()
    (root / "rules/gravity-matrix/npcc-2026.properties.yaml").write_text(
        side.replace("version: npcc-2025", "version: npcc-2026", 1))
    (root / "rules/gravity-matrix/tests/npcc-2026.yaml").write_text(
        "family: gravity-matrix\ntests:\n  - name: draft shoplifting\n    date: 2026-06-01\n"
        "    version: npcc-2026\n    case: {case_reference: T-1, age: 15, facts: {offence: "
        "theft_from_shop, sufficient_evidence: true, admission: admitted}}\n"
        "    expect: {outcome: no_further_action}\n")
    reg = root / "policies.yaml"
    text = reg.read_text()
    anchor = "  enhanced-case-management:\n"
    reg.write_text(text.replace(anchor, "      - version: npcc-2026  # proposed\n"
                                "        file: rules/gravity-matrix/npcc-2026.yaml\n"
                                "        status: draft\n        effective_from: 2026-04-01\n"
                                + anchor, 1))


def test_approve_writes_status_dates_hashes_and_keeps_comments(root: Path) -> None:
    _add_draft(root)
    # npcc-2025 is open-ended and approved, so the draft must not overlap: approving it
    # is refused and the registry is left as it was.
    before = (root / "policies.yaml").read_text()
    with pytest.raises(PolicyErrors) as err:
        write_approval(root, "gravity-matrix", "npcc-2026", "A Reviewer", dt.date(2026, 3, 1))
    assert "overlapping-versions" in str(err.value)
    assert (root / "policies.yaml").read_text() == before
    # A draft that ends before npcc-2025 starts (a back-dated correction) is approved.
    entry = write_approval(root, "gravity-matrix", "npcc-2026", "A Reviewer",
                           dt.date(2026, 3, 1), dt.date(2012, 1, 1), dt.date(2013, 4, 8))
    after = (root / "policies.yaml").read_text()
    assert "      - version: npcc-2026  # proposed\n" in after
    assert after.startswith("# Registry of policy versions.")
    assert entry.status == "approved" and entry.approved_by == "A Reviewer"
    reg = Registry.load(root)
    pv = reg.get("gravity-matrix", "npcc-2026")
    assert pv.entry.entry_sha256 == entry_digest(pv.entry)
    assert pv.entry.sha256 == pv.sha256
    with pytest.raises(ApprovalError, match="is approved, not a draft"):
        write_approval(root, "gravity-matrix", "npcc-2026", "B", dt.date(2026, 3, 2))


def test_approve_refuses_when_a_policy_test_fails_and_writes_nothing(root: Path) -> None:
    _add_draft(root)
    tests = root / "rules/gravity-matrix/tests/npcc-2026.yaml"
    tests.write_text(tests.read_text().replace("outcome: no_further_action", "outcome: charge"))
    before = (root / "policies.yaml").read_text()
    result = gate(root, "gravity-matrix", "npcc-2026")
    assert not result.ok
    assert [s.name for s in result.steps if not s.ok] == ["policy tests"]
    out = CliRunner().invoke(app, ["approve", "gravity-matrix", "npcc-2026", "--by", "X"],
                             env={"DECISION_ENGINE_POLICY_ROOT": str(root)})
    assert out.exit_code == 1, out.output
    assert "FAIL  policy tests" in out.output and "nothing written" in out.output
    assert (root / "policies.yaml").read_text() == before


def test_approve_cli_shows_the_diff_then_writes(root: Path) -> None:
    _add_draft(root)
    env = {"DECISION_ENGINE_POLICY_ROOT": str(root)}
    out = CliRunner().invoke(app, ["approve", "gravity-matrix", "npcc-2026", "--by", "A R",
                                   "--on", "2026-03-01", "--from", "2012-01-01",
                                   "--to", "2013-04-08"], env=env)
    assert out.exit_code == 0, out.output
    assert "ok    policy tests" in out.output
    assert "+version: npcc-2026" in out.output and "-version: npcc-2025" in out.output
    assert "approved gravity-matrix npcc-2026 by A R on 2026-03-01" in out.output
    assert CliRunner().invoke(app, ["check"], env=env).exit_code == 0


def _edit_draft(root: Path, old: str, new: str) -> None:
    path = root / "rules/gravity-matrix/npcc-2026.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_clean_draft_passes_every_step(root: Path) -> None:
    _add_draft(root)
    result = gate(root, "gravity-matrix", "npcc-2026")
    assert [(s.name, s.ok) for s in result.steps] == [
        ("load and check", True), ("policy tests", True), ("lint", True), ("proofs", True),
        ("diff", True)]
    proofs = next(s for s in result.steps if s.name == "proofs").lines
    assert proofs[0].startswith("over ") and proofs[0].endswith(" reduced cases:")
    assert any(line.startswith("proved not-admitted-no-caution  (S9") for line in proofs)


def test_approve_refuses_a_property_that_fails_with_its_counterexample(root: Path) -> None:
    _add_draft(root)
    # the statutory gate that keeps a caution from a child who did not admit, dropped
    _edit_draft(root, "    block: [youth_caution, youth_conditional_caution]\n"
                "    reason: \"No admission", "    block: [youth_conditional_caution]\n"
                "    reason: \"No admission")
    result = gate(root, "gravity-matrix", "npcc-2026")
    proofs = next(s for s in result.steps if s.name == "proofs")
    assert not proofs.ok and not result.ok
    assert any(line.startswith("FAILS  not-admitted-no-caution") for line in proofs.lines)
    cx = [line for line in proofs.lines if "counterexample:" in line]
    assert cx and "admission" in cx[0] and "caution" in cx[0]
    before = (root / "policies.yaml").read_text()
    out = CliRunner().invoke(app, ["approve", "gravity-matrix", "npcc-2026", "--by", "X"],
                             env={"DECISION_ENGINE_POLICY_ROOT": str(root)})
    assert out.exit_code == 1 and "FAIL  proofs" in out.output
    assert (root / "policies.yaml").read_text() == before


def test_approve_refuses_a_rule_lint_says_can_never_fire(root: Path) -> None:
    _add_draft(root)
    _edit_draft(root, "  - id: evidential-test-not-met\n",
                "  - id: planted-never-fires\n"
                "    when: {all: [{fact: sufficient_evidence, eq: true}, "
                "{fact: sufficient_evidence, eq: false}]}\n"
                "    flag: [planted]\n    reason: \"Cannot happen.\"\n"
                "    source: {document: S9, section: \"s.66ZA\"}\n"
                "  - id: evidential-test-not-met\n")
    result = gate(root, "gravity-matrix", "npcc-2026")
    lint = next(s for s in result.steps if s.name == "lint")
    assert not lint.ok and not result.ok
    assert any("planted-never-fires" in line or "npcc-2026.yaml:" in line
               for line in lint.lines)
    assert any("never-fires" in line or "never-applies" in line for line in lint.lines)


def test_approval_shows_the_semantic_diff(root: Path) -> None:
    _add_draft(root)
    # one more point on shoplifting's base score: cases move up the ladder
    _edit_draft(root, 'theft_from_shop: {title: "Theft from a shop", base_score: 1,',
                'theft_from_shop: {title: "Theft from a shop", base_score: 2,')
    result = gate(root, "gravity-matrix", "npcc-2026")
    diff = next(s for s in result.steps if s.name == "diff")
    assert diff.ok
    assert diff.lines[0] == "gravity-matrix: npcc-2025 → npcc-2026"
    assert any("offences.theft_from_shop" in line and "base_score" in line
               for line in diff.lines)
    cases = next(line for line in diff.lines if line.startswith("Cases: "))
    assert int(cases.split()[1].replace(",", "")) > 0, cases
    assert any(line.strip().startswith("no_further_action → ") for line in diff.lines)
