"""The disproportionality report over the hand-worked fixture (tests/reports/fixture.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from decision_engine.audit import AccessContext, RecordFilter, Store
from decision_engine.policy.registry import Registry
from decision_engine.reports import Report, Scope, generate
from tests.reports.fixture import ON, VERSION, fill

ACCESS = AccessContext("auditor", "a1", "north", "quarterly board report")
REGISTRY = Registry.load()


def run(store: Store, **over: Any) -> Report:
    scope = Scope(**{"date_from": ON, "date_to": ON, "service_area": "north", **over})
    return generate(store, REGISTRY, "disproportionality", scope, ACCESS)


def rows(report: Report, table: str) -> dict[tuple[str, str], dict[str, Any]]:
    t = next(t for t in report.tables if t.name == table)
    return {(r[0], r[1]): dict(zip(t.columns, r, strict=True)) for r in t.rows}


def test_figures_match_the_hand_computation(store: Store) -> None:
    fill(store)
    report = run(store)
    assert report.decisions == 35
    assert report.policy_versions == [VERSION]
    groups = {r[0]: r[1] for r in report.tables[0].rows}
    assert groups == {"white": 20, "black": 10, "asian": "suppressed",
                      "not recorded": "suppressed"}
    rec = rows(report, "recommended")
    white, black = rec[("white", "charge")], rec[("black", "charge")]
    assert (white["count"], white["total"], white["rate"], white["rri"]) == (5, 20, 0.25, 1.0)
    assert white["reference_group"] == "white"  # the largest group by default
    assert (black["count"], black["total"], black["rate"]) == (5, 10, 0.5)
    assert black["rri"] == pytest.approx(2.0)
    assert black["ci95_low"] == pytest.approx(0.7506, abs=1e-4)
    assert black["ci95_high"] == pytest.approx(5.3289, abs=1e-3)
    cr = rec[("black", "community_resolution")]
    assert cr["rri"] == pytest.approx(0.6667, abs=1e-4)
    assert cr["ci95_low"] == pytest.approx(0.3413, abs=1e-3)
    assert cr["ci95_high"] == pytest.approx(1.3021, abs=1e-3)
    asian = rec[("asian", "charge")]
    assert asian["count"] == "suppressed" and asian["rate"] is None and asian["rri"] is None
    # two departures to charge for the black group: 7 of 10 stand as charged
    final = rows(report, "final")[("black", "charge")]
    assert (final["count"], final["rate"]) == (7, 0.7)
    assert final["rri"] == pytest.approx(2.8)
    assert final["ci95_low"] == pytest.approx(1.1840, abs=1e-3)
    assert final["ci95_high"] == pytest.approx(6.6215, abs=1e-3)
    open_ = rows(report, "charge_where_oocd_open")[("black", "charge")]
    assert (open_["count"], open_["total"]) == (7, 10)


def test_threshold_boundary_in_the_report(store: Store) -> None:
    fill(store)
    at = rows(run(store, threshold=5), "recommended")[("black", "charge")]
    above = rows(run(store, threshold=6), "recommended")[("black", "charge")]
    assert at["count"] == 5 and at["rri"] is not None
    assert above["count"] == "suppressed" and above["rate"] is None and above["rri"] is None


def test_chosen_reference_and_other_grouping(store: Store) -> None:
    fill(store)
    rec = rows(run(store, reference="black"), "recommended")
    assert rec[("white", "charge")]["rri"] == pytest.approx(0.5)
    by_sex = run(store, group_by="sex", threshold=0)
    assert {r[0] for r in by_sex.tables[0].rows} == {"male", "female", "not recorded"}


def test_a_period_with_no_decisions(store: Store) -> None:
    fill(store)
    report = run(store, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31))
    assert report.decisions == 0 and report.policy_versions == []
    assert all(t.rows == [] for t in report.tables)
    assert "No decisions" in report.notes[0]
    from decision_engine.reports.render import to_csv, to_html, to_json
    assert "No rows." in to_html(report) and to_json(report)
    assert all(text.count("\n") == 1 for text in to_csv(report).values())  # header only


def test_other_areas_are_left_out(store: Store) -> None:
    fill(store, area="south")
    assert run(store).decisions == 0
    assert run(store, service_area=None).decisions == 35


def test_the_report_is_logged_before_it_is_built(store: Store) -> None:
    fill(store)
    before = store.count(RecordFilter(kind="access"))
    run(store)
    logged = store.list_records(RecordFilter(kind="access"))[-1]
    assert store.count(RecordFilter(kind="access")) == before + 1
    detail = logged.detail_obj
    assert detail["action"] == "report"
    assert detail["justification"] == "quarterly board report"
    assert detail["query"]["report"] == "disproportionality"
