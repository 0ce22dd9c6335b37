"""The command line as a user runs it: JSON out, exit code 2 with the field on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decision_engine.cli.main import app
from decision_engine.policy.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_decide_prints_a_decision_with_reasons() -> None:
    result = runner.invoke(app, ["decide", "gravity-matrix", "--case",
                                 str(ROOT / "examples/gravity-matrix/no-comment-robbery.json"),
                                 "--on", "2024-05-01"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"outcome", "reasons", "policy", "warnings"} <= set(out)
    # NPCC 2023, through the revision that stands in for it (issue 9)
    assert out["policy"]["version"] == Registry.load().current("gravity-matrix", "npcc-2023")
    assert out["outcome"] == "community_resolution"
    assert out["variant"] == "outcome_22_diversion"
    assert any(r["rule"] == "youth-caution-needs-admission" for r in out["reasons"])


def test_policy_version_option_selects_a_version() -> None:
    result = runner.invoke(app, ["decide", "gravity-matrix", "--case",
                                 str(ROOT / "examples/gravity-matrix/admitted-shoplifting.json"),
                                 "--on", "2024-05-01", "--policy-version", "acpo-2013"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["policy"]["version"] == "acpo-2013"


@pytest.mark.parametrize(("case", "on", "message"), [
    ({"case_reference": "X", "age": 15, "facts": {"offence": "nope",
      "sufficient_evidence": True, "admission": "admitted"}}, "2024-01-01", "facts.offence"),
    ({"case_reference": "X", "age": 19, "facts": {"offence": "robbery",
      "sufficient_evidence": True, "admission": "admitted"}}, "2024-01-01", "age"),
    ({"case_reference": "X", "age": 15, "facts": {"offence": "robbery",
      "admission": "admitted"}}, "2024-01-01", "facts.sufficient_evidence"),
    ({"case_reference": "X", "age": 15, "facts": {}}, "2024-02-30", "--on"),
    ({"case_reference": "X", "age": 15, "facts": {"offence": "robbery",
      "sufficient_evidence": True, "admission": "admitted"}}, "2024-01-01", None),
])
def test_bad_input_exits_2_naming_the_field(tmp_path: Path, case: dict[str, object], on: str,
                                            message: str | None) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    result = runner.invoke(app, ["decide", "gravity-matrix", "--case", str(path), "--on", on])
    if message is None:
        assert result.exit_code == 0
        return
    assert result.exit_code == 2
    assert f"error: {message}" in result.stderr


def test_malformed_json_is_located(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"case_reference": "X",\n  "facts": {,}}')
    result = runner.invoke(app, ["decide", "gravity-matrix", "--case", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2:" in result.stderr


def test_unknown_family_exits_2() -> None:
    result = runner.invoke(app, ["decide", "gravity", "--case",
                                 str(ROOT / "examples/gravity-matrix/admitted-shoplifting.json")])
    assert result.exit_code == 2
    assert "unknown policy family 'gravity'" in result.stderr


def test_policies_lists_every_version() -> None:
    result = runner.invoke(app, ["policies", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    gm = [r for r in rows if r["family"] == "gravity-matrix"]
    registered = [pv.version for pv in Registry.load().versions("gravity-matrix")]
    assert [r["version"] for r in gm] == registered
    assert {"acpo-2013", "npcc-2023", "npcc-2025"} <= set(registered)
    assert all(len(r["sha256"]) == 64 for r in gm)


def test_schema_is_draft_07_and_describes_rules() -> None:
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$defs" not in result.stdout
    assert "Rule" in schema["definitions"]
    assert set(schema["required"]) >= {"family", "version", "rules", "inputs", "outcomes"}


def test_explain_reads_like_a_report() -> None:
    result = runner.invoke(app, ["decide", "gravity-matrix", "--case",
                                 str(ROOT / "examples/gravity-matrix/no-comment-robbery.json"),
                                 "--on", "2024-05-01", "--explain"])
    assert result.exit_code == 0, result.output
    assert "blocked  youth_caution  by youth-caution-needs-admission" in result.stdout
    assert "community_resolution  <- recommended" in result.stdout
    assert "[youth-caution-needs-admission]" in result.stdout
    assert "! rests on an unverified row: table 'offences', row 'robbery'" in result.stdout


def test_policies_table_columns_line_up_with_long_version_names() -> None:
    result = runner.invoke(app, ["policies"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("national-standards-2019" in line for line in lines)
    assert len({line.index(" approved ") for line in lines}) == 1
    assert len({line.index(" → ") for line in lines}) == 1


@pytest.mark.parametrize(("on_path", "expected"), [(True, "decision-engine"), (False, None)])
def test_own_command_runs_from_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        on_path: bool, expected: str | None) -> None:
    from decision_engine.cli.common import own_command

    exe = tmp_path / "bin" / "decision-engine"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setattr("sys.argv", [str(exe.relative_to(tmp_path)), "serve"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(exe.parent) if on_path else "/nonexistent")
    assert own_command() == (expected or str(exe))
