"""``decision-engine report``: JSON, CSV (one file per table, formula-safe) and a
self-contained HTML page with inline SVG charts, opened in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decision_engine.audit import DecisionEntry, open_store
from decision_engine.cli.main import app
from decision_engine.engine import decide
from tests.reports.fixture import CHARGE, ON, VERSION, fill

runner = CliRunner()
CHROMIUM = os.environ.get("DECISION_ENGINE_CHROMIUM", "/usr/bin/chromium")
ARTEFACTS = Path(__file__).parent / "artefacts"


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with open_store(url) as store:
        fill(store)
    return url


def cli(db: str, *args: str) -> str:
    result = runner.invoke(app, ["report", "disproportionality", "--from", ON.isoformat(),
                                 "--to", ON.isoformat(), "--database-url", db, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json(db: str) -> None:
    out = json.loads(cli(db, "--format", "json", "--area", "north"))
    assert out["period"] == {"from": "2024-05-01", "to": "2024-05-01"}
    assert out["policy_versions"] == [VERSION]
    assert out["suppression_threshold"] == 5 and "Katz" in out["method"]
    assert [t["name"] for t in out["tables"]] == ["groups", "recommended", "final",
                                                  "charge_where_oocd_open"]


def test_csv_one_file_per_table(db: str, tmp_path: Path) -> None:
    cli(db, "--format", "csv", "-o", str(tmp_path / "out"))
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["disproportionality-charge_where_oocd_open.csv",
                     "disproportionality-final.csv", "disproportionality-groups.csv",
                     "disproportionality-recommended.csv"]
    rows = list(csv.reader((tmp_path / "out/disproportionality-recommended.csv").open()))
    assert rows[0][:5] == ["group", "outcome", "count", "total", "rate"]
    assert rows[[r[:2] for r in rows].index(
        ["black", "charge"])][:5] == ["black", "charge", "5", "10", "0.5"]


def test_csv_cells_are_neutralised(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    evil = "=HYPERLINK(\"http://x\")"
    with open_store(url) as store:
        entries = []
        for i in range(6):
            case = {"case_reference": f"EV-{i}", "age": 15, "facts": CHARGE,
                    "monitoring": {"ethnicity": evil}}
            subject, decision = decide("gravity-matrix", case, ON)
            entries.append(DecisionEntry(decision, subject, "panel", "p", "north"))
        store.append_decisions(entries)
    out = cli(url, "--format", "csv")
    cells = [c for row in csv.reader(io.StringIO(out)) for c in row]
    assert "'" + evil in cells
    assert evil not in cells


def test_bad_input_names_the_field(db: str) -> None:
    result = runner.invoke(app, ["report", "nonsense", "--from", "2024-01-01", "--to",
                                 "2024-02-01", "--database-url", db])
    assert result.exit_code == 2 and "report: 'nonsense'" in result.output
    result = runner.invoke(app, ["report", "disproportionality", "--from", "2024-03-01",
                                 "--to", "2024-02-01", "--database-url", db])
    assert result.exit_code == 2 and "to: '2024-02-01': is before --from" in result.output


def test_html_is_self_contained(db: str) -> None:
    page = cli(db, "--format", "html")
    assert page.startswith("<!doctype html>") and page.count("<svg") >= 3
    assert "<script" not in page and "src=" not in page
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert not re.search(r"https?://(?!www\.w3\.org/)", page)  # only XML namespaces
    assert "Suppression threshold" in page and VERSION in page


def test_html_in_headless_chromium(db: str, tmp_path: Path) -> None:
    """The page renders its charts offline; a screenshot is kept as an artefact."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}: browser test skipped")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    html_file = tmp_path / "report.html"
    html_file.write_text(cli(db, "--format", "html"), encoding="utf-8")
    requested: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requested.append(r.url))
            page.goto(html_file.as_uri())
            assert page.locator("svg").count() >= 3
            box = page.locator("svg").first.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 150
            assert page.get_by_role("heading", name="Recommended outcome by group").count()
            ARTEFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTEFACTS / "disproportionality-report.png"),
                            full_page=True)
        finally:
            browser.close()
    assert [u for u in requested if not u.startswith("file://")] == []
