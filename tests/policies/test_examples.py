"""Every example decides on the day it was written for, whatever today is: run with no
``--on``, by name as a user of the installed package would, it gives the outcome it was
written to show; a case that fails only because of its date says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decision_engine.cli.main import app
from tests.policies.support import REGISTRY, ROOT, example, example_file

runner = CliRunner()

# family/name -> (the published version in force on the example's own date, its outcome);
# it decides under that version's current revision (REGISTRY.current: issue 9's r2s)
EXPECTED = {
    "contact-frequency/asset-score-medium-rosh-high": ("scaled-approach-2009", "intensive"),
    "contact-frequency/iss-step-down": ("scaled-approach-2009", "intensive"),
    "contact-frequency/standards-2019-override-down": ("national-standards-2019", "enhanced"),
    "enhanced-case-management/eligible-three-convictions": ("coventry-2020", "eligible"),
    "enhanced-case-management/not-eligible-community-resolutions-not-counted": (
        "coventry-2020", "not_eligible"),
    "enhanced-case-management/not-eligible-no-current-intervention": (
        "coventry-2020", "not_eligible"),
    "gravity-matrix/admitted-shoplifting": ("npcc-2023", "community_resolution"),
    "gravity-matrix/no-comment-robbery": ("npcc-2023", "community_resolution"),
    "oocd-pathways/admitted-shoplifting-explored": ("cif-2025", "pathways_explored_ok"),
    "oocd-pathways/knife-first-offence": ("cif-2025", "refer_back_police"),
    "oocd-pathways/looked-after-no-cif": ("cif-2025", "refer_back_cps"),
    "oocd-pathways/no-comment-robbery-minor-role": ("cif-2025", "refer_back_police"),
    "oocd-pathways/pre-cif-first-time-entrant": ("pre-cif-2023", "refer_back_cps"),
    "oocd-pathways/pre-npcc-admitted-caution-not-considered": ("acpo-2022", "refer_back_police"),
    "pace-transfer/impracticable-extreme-weather": ("cjca-2015", "certify_impracticable"),
    "pace-transfer/secure-no-bed": ("cjca-2015", "certify_no_secure_accommodation"),
    "pace-transfer/seventeen-year-old": ("pre-cjca-2015", "not_applicable"),
    "pace-transfer/under-12-serious-harm": ("cjca-2015", "transfer_non_secure"),
}


def test_every_example_has_an_expected_outcome_and_a_date() -> None:
    found = {f"{p.parent.name}/{p.stem}" for p in (ROOT / "examples").glob("*/*.json")}
    assert found == set(EXPECTED)
    for key in found:
        family, name = key.split("/")
        assert set(example_file(family, f"{name}.json")) == {"decision_date", "case"}, key


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_an_example_decides_on_its_own_date_without_on(key: str) -> None:
    family, name = key.split("/")
    written_for = example_file(family, f"{name}.json")["decision_date"]
    result = runner.invoke(app, ["decide", family, "--case", name])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    version, outcome = EXPECTED[key]
    assert (out["decision_date"], out["policy"]["version"], out["outcome"]) == (
        written_for, REGISTRY.current(family, version), outcome)
    dated = runner.invoke(app, ["decide", family, "--case", str(ROOT / "examples" / family /
                                                                f"{name}.json"),
                                "--on", written_for])
    assert dated.stdout == result.stdout


def test_on_overrides_the_files_date() -> None:
    result = runner.invoke(app, ["decide", "pace-transfer", "--case", "seventeen-year-old",
                                 "--on", "2016-06-01"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"] == "transfer_non_secure"


def test_examples_lists_each_with_its_date_and_file() -> None:
    result = runner.invoke(app, ["examples"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert {r[0] for r in rows} == set(EXPECTED)
    for key, day, path in rows:
        family, name = key.split("/")
        assert example_file(family, f"{name}.json")["decision_date"] == day
        assert Path(path).resolve() == (ROOT / "examples" / family / f"{name}.json").resolve()


@pytest.mark.parametrize(("family", "name", "on", "field", "decides_on"), [
    # the version in force on 2026-03-01 has other inputs
    ("oocd-pathways", "pre-cif-first-time-entrant", "2026-03-01",
     "facts.fte_checklist_completed", "2025-01-31"),
    # born 2008-06-14: 4 years old on 2013-05-01
    ("gravity-matrix", "no-comment-robbery", "2013-05-01", "date_of_birth", None),
])
def test_a_case_failing_only_for_its_date_says_so(family: str, name: str, on: str, field: str,
                                                   decides_on: str | None) -> None:
    result = runner.invoke(app, ["decide", family, "--case", name, "--on", on])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {field}: ")
    assert "so only the decision date fails it: pass --on " in result.stderr
    assert '"decision_date": "' in result.stderr
    if decides_on:
        assert f"the case does decide on {decides_on}" in result.stderr


def test_a_case_wrong_on_every_date_gets_no_date_advice(tmp_path: Path) -> None:
    case = example("gravity-matrix", "admitted-shoplifting.json")
    case["facts"]["offence"] = "jaywalking"
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"decision_date": "2024-05-01", "case": case}))
    result = runner.invoke(app, ["decide", "gravity-matrix", "--case", str(path)])
    assert result.exit_code == 2
    assert "error: facts.offence: 'jaywalking': not a known value" in result.stderr
    assert "decision date" not in result.stderr
    in_force = REGISTRY.current("gravity-matrix", "npcc-2023")
    assert f"`decision-engine inputs gravity-matrix --policy-version {in_force}`" in result.stderr


def test_an_unknown_example_name_says_where_the_list_is() -> None:
    result = runner.invoke(app, ["decide", "gravity-matrix", "--case", "no-such-example"])
    assert result.exit_code == 2
    assert "`decision-engine examples gravity-matrix`" in result.stderr


def test_a_request_file_with_an_unknown_field_names_it(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"case": example("gravity-matrix", "admitted-shoplifting.json"),
                                "decision_day": "2024-05-01"}))
    result = runner.invoke(app, ["decide", "gravity-matrix", "--case", str(path)])
    assert result.exit_code == 2
    assert "error: decision_day" in result.stderr


def test_inputs_lists_every_accepted_value() -> None:
    result = runner.invoke(app, ["inputs", "gravity-matrix", "--policy-version", "npcc-2023"])
    assert result.exit_code == 0, result.output
    offence = next(line for line in result.stdout.splitlines()
                   if line.strip().startswith("offence "))
    listed = offence.split("enum: ")[1].split(", ")
    assert len(listed) > 12 and "robbery" in listed and "theft_from_shop" in listed
