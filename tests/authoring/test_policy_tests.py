"""The policy tests under rules/<family>/tests/ run in CI, and the runner itself fails
when a decision misses an expectation, naming file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from decision_engine.authoring.policytests import Result, policy_test_files, run_family
from decision_engine.cli.main import app
from decision_engine.errors import PolicyError
from decision_engine.policy.registry import Registry, bundled_root

REGISTRY = Registry.load(bundled_root())
RESULTS = run_family(REGISTRY)


def test_every_family_has_policy_tests_from_its_examples() -> None:
    for family in REGISTRY.families():
        files = [p.name for p in policy_test_files(REGISTRY.root, family)]
        assert "examples.yaml" in files, family
        examples = sorted((REGISTRY.root / "examples" / family).glob("*.json"))
        ran = {r.name for r in RESULTS if r.family == family}
        assert {f"example {p.name}" for p in examples} <= ran


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: f"{r.file}:{r.line}")
def test_bundled_policy_test_passes(result: Result) -> None:
    assert result.ok, result.report()




def test_a_wrong_expectation_fails_naming_file_line_and_what_differs(root: Path) -> None:
    path = root / "rules/gravity-matrix/tests/version-boundaries.yaml"
    text = path.read_text().replace("expect: {version: npcc-2025-r4, outcome: no_further_action}",
                                    "expect: {version: npcc-2025-r4, outcome: charge}")
    path.write_text(text)
    failed = [r for r in run_family(Registry.load(root), "gravity-matrix") if not r.ok]
    assert len(failed) == 1
    r = failed[0]
    assert (r.file, r.line) == ("rules/gravity-matrix/tests/version-boundaries.yaml", 8)
    assert r.failures == ["outcome: expected charge, got no_further_action"]
    out = CliRunner().invoke(app, ["test", "gravity-matrix"], env={
        "DECISION_ENGINE_POLICY_ROOT": str(root)})
    assert out.exit_code == 1
    assert "FAIL  rules/gravity-matrix/tests/version-boundaries.yaml:8" in out.output
    assert "1 failed" in out.output


def test_a_refused_case_must_name_the_expected_field(root: Path) -> None:
    path = root / "rules/gravity-matrix/tests/version-boundaries.yaml"
    path.write_text(path.read_text().replace("expect: {error: facts.offence}",
                                             "expect: {error: facts.admission}"))
    failed = [r for r in run_family(Registry.load(root), "gravity-matrix") if not r.ok]
    assert [f.split(":")[0] for f in failed[0].failures] == ["case refused"]


def test_a_malformed_test_file_is_a_policy_error_with_its_line(root: Path) -> None:
    path = root / "rules/pace-transfer/tests/bad.yaml"
    path.write_text("family: pace-transfer\ntests:\n  - name: x\n    date: 2020-01-01\n"
                    "    case: {}\n    expect: {outcom: charge}\n")
    with pytest.raises(PolicyError) as err:
        run_family(Registry.load(root), "pace-transfer")
    assert "rules/pace-transfer/tests/bad.yaml:6" in str(err.value)
    out = CliRunner().invoke(app, ["test", "pace-transfer"], env={
        "DECISION_ENGINE_POLICY_ROOT": str(root)})
    assert out.exit_code == 2 and "unknown key" in out.output
