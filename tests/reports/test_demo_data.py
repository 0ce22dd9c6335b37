"""``decision-engine demo-data``: decided by the engine, recorded through the real path
(the chain verifies), every family present, the same seed giving the same cases."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from decision_engine.audit import RecordFilter, open_store
from decision_engine.cli.main import app

runner = CliRunner()


def test_demo_data_fills_a_verifiable_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(app, ["demo-data", "--cases", "150", "--seed", "3",
                                 "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "recorded 150 decisions" in result.output
    with open_store(url) as store:
        assert store.count(RecordFilter(kind="decision")) == 150
        families = {r.family for r in store.iter_records(RecordFilter(kind="decision"))}
        assert families == {"gravity-matrix", "oocd-pathways", "pace-transfer",
                            "enhanced-case-management", "contact-frequency"}
        assert store.count(RecordFilter(kind="final_decision")) > 0
        assert store.verify().ok
        first = [(r.family, r.decision_date, r.outcome) for r in
                 store.list_records(RecordFilter(kind="decision"), limit=20)]
    again = f"sqlite:///{tmp_path / 'again.db'}"
    runner.invoke(app, ["demo-data", "--cases", "20", "--seed", "3", "--database-url", again])
    with open_store(again) as store:
        assert [(r.family, r.decision_date, r.outcome) for r in
                store.list_records(RecordFilter(kind="decision"), limit=20)] == first
    report = runner.invoke(app, ["report", "departures", "--from", "2014-01-01", "--to",
                                 "2026-12-31", "--format", "json", "--database-url", url])
    assert report.exit_code == 0, report.output
