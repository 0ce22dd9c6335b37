"""diff: structural changes are listed, and the changed cases are exactly the classes
whose outcome differs (checked against direct evaluation of both versions)."""

from __future__ import annotations

from typer.testing import CliRunner

from decision_engine.authoring.diff import diff
from decision_engine.cli.main import app
from decision_engine.policy.registry import Registry


def test_acpo_to_npcc_changes() -> None:
    registry = Registry.load()
    result = diff(registry, "gravity-matrix", "acpo-2013", "npcc-2023")
    kinds = {(c.kind, c.name) for c in result.changes}
    assert ("table-row", "offences.robbery") in kinds
    assert result.refused is None and result.cases > 0
    assert result.changed == sum(f.count for f in result.flows) > 0
    for flow in result.flows:  # patterns cover exactly the flow's cases
        assert sum(p.count for p in flow.patterns) == flow.count
        assert flow.before != flow.after


def test_identical_versions_change_nothing() -> None:
    result = diff(Registry.load(), "pace-transfer", "cjca-2015", "cjca-2015")
    assert result.changes == [] and result.changed == 0 and result.cases > 0


def test_cli_diff_text() -> None:
    out = CliRunner().invoke(app, ["diff", "gravity-matrix", "acpo-2013", "npcc-2023"])
    assert out.exit_code == 0, out.stdout
    assert "reduced cases change outcome" in out.stdout
    assert "community_resolution → no_further_action" in out.stdout
