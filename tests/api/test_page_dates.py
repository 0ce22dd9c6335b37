"""Dates on the pages are written out (``7 December 2026``); the API keeps ISO 8601."""

from __future__ import annotations

import datetime as dt

import pytest

from decision_engine_api.pages.cases import show
from decision_engine_api.pages.render import day, moment


@pytest.mark.parametrize(("value", "shown"), [
    (dt.date(2026, 12, 7), "7 December 2026"), ("2024-02-29", "29 February 2024"),
    ("2026-13-01", "2026-13-01"), ("not a date", "not a date"), (None, ""), ("", "")])
def test_day(value: dt.date | str | None, shown: str) -> None:
    assert day(value) == shown


def test_moment_is_utc_to_the_minute() -> None:
    assert moment("2026-11-30T05:12:59.999999Z") == "30 November 2026, 05:12 UTC"
    assert moment(None) == "" and moment("soon") == "soon"


def test_show_writes_dates_out_and_names_in_words() -> None:
    assert show("2026-11-23") == "23 November 2026"
    assert show("theft_from_shop") == "theft from shop"
    assert show(["2026-01-02", "group_leading_role"]) == "2 January 2026, group leading role"
