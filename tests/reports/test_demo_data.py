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


def test_the_same_seed_gives_the_same_history_whatever_the_workers(tmp_path: Path) -> None:
    """Cases are drawn in one process and decided in order, so parallel workers change
    nothing recorded but ids, pseudonyms and times."""
    from decision_engine.reports.demo import fill

    seen = []
    for workers in (1, 2):
        with open_store(f"sqlite:///{tmp_path / f'w{workers}.db'}") as store:
            result = fill(store, 120, seed=5, batch=50, workers=workers)
            records = store.list_records(RecordFilter(), limit=1000)
            seen.append((result.decisions, result.finals,
                         [(r.kind, r.family, r.decision_date, r.outcome, r.input, r.output)
                          for r in records]))
            assert store.verify().ok
    assert seen[0][0] == 120 and seen[0][1] > 0
    assert seen[0] == seen[1]
