"""Working days (issue 9 item 7: due dates): the ``add_working_days`` expression, its
bank-holiday calendars, and the r4 gravity revisions that use it.

The expression is checked against a definition written here (count the weekdays that are
not calendar dates), on every compile target (durable-rules with the engine's expression
compiler, the fast matcher, the outcome compiler); each bundled calendar is checked
against the Banking and Financial Dealings Act 1971's pattern, computed here from first
principles (Easter by the Gregorian computus), with the proclaimed changes listed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.compiler.expressions import Calendar, add_working_days
from decision_engine.compiler.outcome import outcome_program
from decision_engine.compiler.program import compile_policy
from decision_engine.engine import decide, evaluate
from decision_engine.engine.evaluation import evaluate_compiled
from decision_engine.engine.matchers import DurableMatcher, FastMatcher
from decision_engine.errors import PolicyError
from decision_engine.policy import model as m
from decision_engine.policy.registry import Registry, bundled_root, load_policy_file
from tests.test_revisions import record_and_replay

REGISTRY = Registry.load(bundled_root())
R4 = {"acpo-2013-r4": (2013, 2024), "npcc-2023-r4": (2023, 2025), "npcc-2025-r4": (2025, 2027)}
AFFRAY = {"offence": "affray", "sufficient_evidence": True, "admission": "admitted", "age": 16}


# --- the calendars against the statute's pattern ------------------------------------------


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    mm = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * mm + 114, 31)
    return dt.date(year, month, day + 1)


def _monday(year: int, month: int, last: bool) -> dt.date:
    day = dt.date(year, month, 31 if month in (5, 8) else 1) if last else dt.date(year, month, 1)
    step = dt.timedelta(days=-1 if last else 1)
    while day.weekday() != 0:
        day += step
    return day


# Changes made by royal proclamation (Act s.1(2), (3)), as announced: moved days and added ones.
PROCLAIMED = {
    2020: ({dt.date(2020, 5, 4)}, {dt.date(2020, 5, 8)}),  # VE Day: early May moved to Friday
    2022: ({dt.date(2022, 5, 30)},  # spring bank holiday moved; Platinum Jubilee; State Funeral
           {dt.date(2022, 6, 2), dt.date(2022, 6, 3), dt.date(2022, 9, 19)}),
    2023: (set(), {dt.date(2023, 5, 8)}),  # the coronation of King Charles III
}


def statutory(year: int) -> set[dt.date]:
    """England and Wales bank holidays by the Act's Schedule 1 and the usual substitutes
    (a holiday on a weekend moves to the next weekday not already a holiday)."""
    easter = _easter(year)
    fixed = [dt.date(year, 1, 1), dt.date(year, 12, 25), dt.date(year, 12, 26)]
    days = {easter - dt.timedelta(days=2), easter + dt.timedelta(days=1),
            _monday(year, 5, last=False), _monday(year, 5, last=True),
            _monday(year, 8, last=True)}
    for day in fixed:
        while day.weekday() >= 5 or day in days:
            day += dt.timedelta(days=1)
        days.add(day)
    removed, added = PROCLAIMED.get(year, (set(), set()))
    return (days - removed) | added


def test_the_computus_and_the_pattern_are_right_where_known() -> None:
    # Easter Sundays read off any printed calendar; a wrong computus fails here first
    assert [_easter(y) for y in (2019, 2024, 2025, 2027)] == [
        dt.date(2019, 4, 21), dt.date(2024, 3, 31), dt.date(2025, 4, 20), dt.date(2027, 3, 28)]
    assert sorted(statutory(2021))[-2:] == [dt.date(2021, 12, 27), dt.date(2021, 12, 28)]


@pytest.mark.parametrize("version", sorted(R4))
def test_each_calendar_is_the_statutory_pattern_for_every_year_it_covers(version: str) -> None:
    table = REGISTRY.get("gravity-matrix", version).policy.tables["bank_holidays"]
    listed = {dt.date.fromisoformat(key) for key in table.rows}
    first, last = R4[version]
    assert {d.year for d in listed} == set(range(first, last + 1))
    for year in range(first, last + 1):
        assert {d for d in listed if d.year == year} == statutory(year), year
    assert all(row["verified"] is False and row["source"]["document"] == "BH"
               for row in table.rows.values())  # typed, not read against gov.uk


# --- the expression against its definition -----------------------------------------------

CAL = Calendar.of(REGISTRY.get("gravity-matrix", "acpo-2013-r4").policy, "bank_holidays")


def _working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in CAL.days


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(2012, 6, 1), dt.date(2025, 6, 1)), st.integers(0, 40))
def test_the_date_is_the_nth_working_day_after_the_start(start: dt.date, days: int) -> None:
    due, skipped = add_working_days(start, days, CAL)
    if not CAL.first <= start <= CAL.last:
        assert (due, skipped) == (None, [])
        return
    span = [start + dt.timedelta(days=i) for i in range(1, 80)]
    counted = [d for d in span if _working(d)]
    expected = start if days == 0 else counted[days - 1]
    if expected > CAL.last:
        assert (due, skipped) == (None, [])
        return
    assert due == expected
    assert days == 0 or _working(due)
    # the skipped dates are exactly the calendar's weekdays passed on the way
    assert skipped == [d for d in span if start < d <= expected and d in CAL.days]
    later, _ = add_working_days(start, days + 1, CAL)
    assert later is None or later > due  # one more working day is always later


# --- every compile target agrees ----------------------------------------------------------


def _policy() -> m.Policy:
    src = {"document": "T", "section": "test"}
    return m.Policy.model_validate({
        "family": "working-days", "version": "t1", "title": "working days",
        "documents": {"T": {"title": "test"}}, "outcomes": ["in_time", "late"],
        "resolution": {"default": "in_time"},
        "inputs": {"start": {"type": "date", "optional": True}},
        "parameters": {"limit": {"value": 3, "verified": True, "source": src}},
        "tables": {"holidays": {"columns": {"title": "str"}, "rows": {
            "2025-12-25": {"title": "Christmas Day", "verified": True, "source": src},
            "2025-12-26": {"title": "Boxing Day", "verified": False, "source": src},
            "2026-01-01": {"title": "New Year's Day", "verified": True, "source": src}}}},
        "derived": {
            "due": {"expr": {"add_working_days": {"date": {"fact": "start"},
                                                  "days": {"param": "limit"},
                                                  "calendar": "holidays"}}},
            "late": {"expr": {"holds": {"fact": "due", "ge": "2026-01-02"}}}},
        "rules": [{"id": "late", "when": {"fact": "late", "eq": True}, "indicate": "late",
                   "reason": "due {due}", "source": src}],
    })


POLICY = _policy()
CP = compile_policy(POLICY, "0" * 64, "working-days.yaml")
PROGRAM = outcome_program(POLICY)
DAY = dt.date(2025, 12, 1)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.dates(dt.date(2024, 12, 20), dt.date(2027, 1, 5))))
def test_durable_rules_the_fast_matcher_and_the_outcome_compiler_agree(
        start: dt.date | None) -> None:
    facts: dict[str, Any] = {} if start is None else {"start": start.isoformat()}
    durable = evaluate_compiled(CP, facts, DAY, DurableMatcher(CP))
    fast = evaluate_compiled(CP, facts, DAY, FastMatcher(CP))
    compiled = PROGRAM.evaluate(CP.validate(facts), DAY)
    assert durable.model_dump() == fast.model_dump()
    assert durable.derived == compiled.derived
    assert durable.outcome == compiled.outcome
    due = None if start is None else add_working_days(start, 3, Calendar.of(
        POLICY, "holidays"))[0]
    assert durable.derived["due"] == (None if due is None else due.isoformat())


def test_a_due_date_cites_the_holidays_it_skipped_and_warns_on_unverified_ones() -> None:
    d = evaluate_compiled(CP, {"start": "2025-12-23"}, DAY, DurableMatcher(CP))
    assert d.derived["due"] == "2025-12-30"  # 24, (25, 26 skipped), 29, 30
    rows = [p.name for p in d.provenance if p.kind == "row"]
    assert rows == ["holidays/2025-12-25", "holidays/2025-12-26"]
    assert [w for w in d.warnings if "holidays" in w] == [
        w for w in d.warnings if "2025-12-26" in w]  # only the unverified row warns
    assert any("2025-12-26" in w for w in d.warnings)


def test_a_count_beyond_the_calendar_gives_no_date_and_says_why() -> None:
    d = evaluate_compiled(CP, {"start": "2026-12-30"}, DAY, DurableMatcher(CP))
    assert d.derived["due"] is None and d.outcome == "in_time"
    assert ("No date 3 working days after 2026-12-30: the calendar holidays covers "
            "2025-2026 only; a later revision of the policy must extend it.") in d.warnings
    plain = evaluate_compiled(CP, {}, DAY, DurableMatcher(CP))
    assert plain.derived["due"] is None and not any("No date" in w for w in plain.warnings)


# --- the checker ---------------------------------------------------------------------------

R4_TEXT = (bundled_root() / "rules/gravity-matrix/npcc-2025-r4.yaml").read_text()


def _errors(tmp_path: Path, old: str, new: str) -> list[tuple[str, int, str]]:
    assert old in R4_TEXT, old
    path = tmp_path / "bad.yaml"
    path.write_text(R4_TEXT.replace(old, new, 1))
    with pytest.raises(PolicyError) as err:
        load_policy_file(path)
    return [(e.code, e.location.line, e.message) for e in getattr(err.value, "errors",
                                                                 [err.value])]


def _line(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def test_a_weekend_date_in_a_calendar_is_refused_at_its_line(tmp_path: Path) -> None:
    old = '"2026-12-28": {title: "Boxing Day (substitute day)"'
    new = '"2026-12-26": {title: "Boxing Day"'
    [(code, line, message)] = _errors(tmp_path, old, new)
    assert code == "bad-calendar" and "2026-12-26 is a Saturday" in message
    assert line == _line(R4_TEXT, old)


def test_a_calendar_row_that_is_not_a_date_is_refused(tmp_path: Path) -> None:
    [(code, _, message)] = _errors(tmp_path, '"2025-01-01": {', '"new-year": {')
    assert code == "bad-calendar" and "'new-year'" in message and "YYYY-MM-DD" in message


@pytest.mark.parametrize(("old", "new", "code", "words"), [
    ("days: {param: assessment_working_days}, calendar: bank_holidays",
     "days: -2, calendar: bank_holidays", "bad-value", "whole number ≥ 0, got -2"),
    ("days: {param: assessment_working_days}, calendar: bank_holidays",
     "days: {param: uses_enhanced_community_resolution}, calendar: bank_holidays",
     "bad-value", "got True"),
    ("calendar: bank_holidays}}, else", "calendar: bank_holiday}}, else", "unknown-table",
     "'bank_holiday' is not declared"),
    ("{add_working_days: {date: {fact: referral_date}",
     "{add_working_days: {date: {fact: age}", "bad-operator", "'age' is int"),
])
def test_bad_working_day_expressions_are_refused(tmp_path: Path, old: str, new: str,
                                                 code: str, words: str) -> None:
    [(got, line, message)] = _errors(tmp_path, old, new)
    assert got == code and words in message
    assert line >= _line(R4_TEXT, "assessment_due_by:")


# --- the r4 revisions ----------------------------------------------------------------------


def test_a_due_date_in_a_decision_cites_the_bank_holidays_it_skipped() -> None:
    d = evaluate("gravity-matrix", {**AFFRAY, "referral_date": "2026-03-30",
                                    "bail_date": "2026-03-27"}, dt.date(2026, 4, 1),
                 registry=REGISTRY)
    assert d.policy.version == "npcc-2025-r4"
    assert (d.outputs["assessment_due_by"], d.outputs["assessment_concluded_by"]) == (
        "2026-04-15", "2026-04-21")  # 15 working days from Friday 27 March: 21 April
    rows = [p.name for p in d.provenance if p.kind == "row"
            and p.name.startswith("bank_holidays/")]
    assert rows == ["bank_holidays/2026-04-03", "bank_holidays/2026-04-06"]
    assert sum("bank_holidays" in w for w in d.warnings) == 2  # each row unverified
    assert any(w.startswith("rests on an unverified parameter: assessment_working_days")
               for w in d.warnings)


def test_without_dates_there_is_no_due_date_and_no_calendar_warning() -> None:
    d = evaluate("gravity-matrix", AFFRAY, dt.date(2026, 4, 1), registry=REGISTRY)
    assert d.outputs["yot_assessment"] is True
    assert d.outputs["assessment_due_by"] is None
    assert d.outputs["assessment_within_working_days"] == 10
    assert not any("bank_holidays" in w or "No date" in w for w in d.warnings)


def test_a_due_date_past_the_calendar_warns_in_the_decision() -> None:
    d = evaluate("gravity-matrix", {**AFFRAY, "referral_date": "2027-12-21"},
                 dt.date(2027, 12, 21), registry=REGISTRY)
    assert d.outputs["assessment_due_by"] is None
    assert any(w.startswith("No date 10 working days after 2027-12-21: the calendar "
                            "bank_holidays covers 2025-2027") for w in d.warnings)


def test_the_r4_revisions_supersede_the_r3s_which_still_decide_when_named() -> None:
    for version, day in (("acpo-2013-r4", dt.date(2020, 6, 1)),
                         ("npcc-2023-r4", dt.date(2024, 5, 1)),
                         ("npcc-2025-r4", dt.date(2026, 3, 1))):
        r3 = version.replace("-r4", "-r3")
        assert REGISTRY.get("gravity-matrix", version).entry.supersedes == r3
        assert REGISTRY.select("gravity-matrix", day).version == version
        assert REGISTRY.current("gravity-matrix", r3) == version
        old = evaluate("gravity-matrix", AFFRAY, day, r3, registry=REGISTRY)
        assert "assessment_due_by" not in old.outputs


def test_decisions_recorded_under_r3_replay_after_r4(tmp_path: Path) -> None:
    made = [decide("gravity-matrix", {"case_reference": f"T-R4-REPLAY-{i}", "age": 16,
                                      "facts": {k: v for k, v in AFFRAY.items() if k != "age"}},
                   day, version, registry=REGISTRY)
            for i, (day, version) in enumerate([(dt.date(2026, 3, 2), "npcc-2025-r3"),
                                                (dt.date(2024, 5, 1), "npcc-2023-r3"),
                                                (dt.date(2020, 6, 1), "acpo-2013-r3"),
                                                (dt.date(2026, 3, 2), None)])]
    assert [d.policy.version for _, d in made] == [
        "npcc-2025-r3", "npcc-2023-r3", "acpo-2013-r3", "npcc-2025-r4"]
    assert record_and_replay(tmp_path, made) == (len(made), len(made), 0, 0)
