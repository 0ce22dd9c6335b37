"""`decision-engine decide` for every policy family: an example decides, and a bad case
exits 2 naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decision_engine.cli.main import app
from tests.policies.support import REGISTRY, ROOT, example

runner = CliRunner()


@pytest.mark.parametrize(("family", "name", "on", "version", "outcome"), [
    ("enhanced-case-management", "eligible-three-convictions.json", "2020-07-01",
     "coventry-2020", "eligible"),
    ("contact-frequency", "asset-score-medium-rosh-high.json", "2012-05-10",
     "scaled-approach-2009", "intensive"),
    ("pace-transfer", "seventeen-year-old.json", "2015-10-25", "pre-cjca-2015",
     "not_applicable"),
    ("pace-transfer", "seventeen-year-old.json", "2015-10-26", "cjca-2015",
     "transfer_non_secure"),
    ("oocd-pathways", "no-comment-robbery-minor-role.json", "2025-06-02", "cif-2025",
     "refer_back_police"),
])
def test_decide_an_example(family: str, name: str, on: str, version: str,
                           outcome: str) -> None:
    result = runner.invoke(app, ["decide", family, "--case",
                                 str(ROOT / "examples" / family / name), "--on", on])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # the version in force, through any revision superseding it (issue 9)
    assert out["policy"] == {**out["policy"], "family": family,
                             "version": REGISTRY.current(family, version)}
    assert out["outcome"] == outcome
    assert out["reasons"] and all(r["source"]["document"] for r in out["reasons"])


@pytest.mark.parametrize(("family", "name", "change", "field"), [
    ("enhanced-case-management", "eligible-three-convictions.json",
     {"date_of_birth": "2001-01-01"}, "date_of_birth"),
    ("contact-frequency", "iss-step-down.json", {"age": 18}, "age"),
    ("pace-transfer", "secure-no-bed.json", {"age": 9}, "age"),
    ("oocd-pathways", "looked-after-no-cif.json", {"facts": {"offence": "robbery"}},
     "facts.sufficient_evidence"),
])
def test_bad_case_exits_2_naming_the_field(tmp_path: Path, family: str, name: str,
                                           change: dict[str, object], field: str) -> None:
    case = {**example(family, name), **change}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    result = runner.invoke(app, ["decide", family, "--case", str(path), "--on", "2025-06-02"])
    assert result.exit_code == 2
    assert f"error: {field}" in result.stderr
