"""lint: each planted fault is caught with its own code at its own line, with an example
case that really shows it; the bundled policies lint clean (or accepted with reasons)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decision_engine.authoring.evaluate import compiled, evaluate
from decision_engine.authoring.lint import Finding, lint_file
from decision_engine.cli.main import app
from decision_engine.policy import model as m
from decision_engine.policy.registry import Registry
from tests.authoring.planted import CLEAN, line_of, write


def findings(path: Path) -> list[Finding]:
    return lint_file(path, str(path)).findings


def only(found: list[Finding], code: str) -> list[Finding]:
    return [f for f in found if f.code == code]


def test_clean_fixture_has_no_findings(tmp_path: Path) -> None:
    assert findings(write(tmp_path, CLEAN)) == []


def test_gap_is_found_with_an_example_that_is_a_gap(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN.replace("{fact: score, ge: 7}", "{fact: score, ge: 8}"))
    [gap] = only(findings(path), "gap")
    assert gap.location.line == line_of(path, "resolution:")
    assert gap.example is not None and "score 7" in gap.example
    policy = m.Policy.model_validate(__import__("ruamel.yaml", fromlist=["YAML"]).YAML(
        typ="safe").load(path.read_text()))
    result = evaluate(compiled(policy), gap.example_facts or {}, dt.date(2025, 1, 1))
    assert not [i for i in result.fired if policy.rules[i].indicate]


def test_overlap_names_both_rules_at_the_second(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN.replace("{fact: score, ge: 7}", "{fact: score, ge: 6}"))
    [overlap] = only(findings(path), "overlap")
    assert "'score-medium'" in overlap.message and "'score-high'" in overlap.message
    assert overlap.location.line == line_of(path, "id: score-high")
    assert overlap.example is not None and "score 6" in overlap.example


def test_rule_that_cannot_fire(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN.replace(
        "when: {fact: factor_count, ge: 3}",
        "when: {all: [{fact: factor_count, ge: 3}, {fact: factor_count, lt: 2}]}"))
    [never] = only(findings(path), "never-fires")
    assert "'many-factors'" in never.message
    assert never.location.line == line_of(path, "id: many-factors")


def test_conflicting_set_found_statically(tmp_path: Path) -> None:
    text = CLEAN.replace('    reason: "medium"\n', '    set: {band: mid}\n    reason: "medium"\n')
    text = text.replace('    reason: "many factors"\n',
                        '    set: {band: top}\n    reason: "many factors"\n')
    path = write(tmp_path, text)
    [conflict] = only(findings(path), "conflicting-set")
    assert conflict.location.line == line_of(path, "set: {band: top}")
    assert conflict.example is not None
    assert any(e.startswith("score 4") for e in conflict.example)
    assert "factors: 3 members" in conflict.example


@pytest.mark.parametrize(("old", "new", "code", "needle"), [
    ("when: {fact: score, le: 3}", "when: {fact: scor, le: 3}", "unknown-fact", "scor, le"),
    ("  urgent: {type: bool}", "  urgent: {type: bool}\n  gender: {type: bool}",
     "protected-characteristic", "gender:"),
    ("  urgent: {type: bool}",
     "  urgent: {type: bool}\n  heritage: {type: enum, values: [black_caribbean, "
     "white_british, asian_pakistani, other]}", "protected-characteristic-proxy", "heritage:"),
    ("version: v1", "version: v1\nversion: v2", "yaml", "version: v2"),
    ("    indicate: medium\n", "    indicate: medium\n    prority: 2\n", "schema", "prority"),
])
def test_structural_faults_have_their_code_and_line(tmp_path: Path, old: str, new: str,
                                                    code: str, needle: str) -> None:
    assert old in CLEAN
    path = write(tmp_path, CLEAN.replace(old, new, 1))
    found = only(findings(path), code)
    assert found, findings(path)
    assert found[0].location.line == line_of(path, needle)
    assert found[0].severity == "error"


def test_a_vocabulary_word_alone_is_not_a_proxy(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN.replace("values: [a, b, c]", "values: [a, b, irish_sea]"))
    assert findings(path) == []


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    clean = write(tmp_path, CLEAN, "clean.yaml")
    gap = write(tmp_path, CLEAN.replace("ge: 7}", "ge: 8}"), "gap.yaml")
    assert runner.invoke(app, ["lint", str(clean)]).exit_code == 0
    result = runner.invoke(app, ["lint", str(gap), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(f["code"], f["line"]) for f in data["findings"]] == [
        ("gap", line_of(gap, "resolution:"))]
    missing = runner.invoke(app, ["lint", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "file not found" in missing.stderr


def test_bundled_policies_lint_clean_or_accepted() -> None:
    from decision_engine.authoring.lint import lint_registry

    results = lint_registry(Registry.load())
    failing = [f.text() for r in results for f in r.findings if f.counts]
    assert failing == []
    accepted = {(r.file, f.code) for r in results for f in r.findings if f.accepted}
    assert ("rules/gravity-matrix/npcc-2025.yaml", "never-applies") in accepted
