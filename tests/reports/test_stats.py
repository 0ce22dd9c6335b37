"""Rates, relative rate index and its interval, and suppression, against hand figures."""

from __future__ import annotations

import math

import pytest

from decision_engine.reports.stats import Cell, cell, rate, rate_index, rri_ci


def test_rri_and_interval_by_hand() -> None:
    # 5 of 10 against 5 of 20: RRI 2; SE = sqrt(1/5 - 1/10 + 1/5 - 1/20) = 0.5;
    # CI = 2 * exp(±1.96 * 0.5) = (0.7506, 5.3289)
    rri, low, high = rri_ci(5, 10, 5, 20)  # type: ignore[misc]
    assert rri == pytest.approx(2.0)
    assert low == pytest.approx(2 * math.exp(-0.98), rel=1e-3)
    assert low == pytest.approx(0.7506, abs=1e-4)
    assert high == pytest.approx(5.3289, abs=1e-3)


def test_rri_undefined_for_zero_counts() -> None:
    assert rri_ci(0, 10, 5, 20) is None
    assert rri_ci(5, 10, 0, 20) is None
    assert rri_ci(5, 0, 5, 20) is None


def test_suppression_at_the_threshold_boundary() -> None:
    assert cell(5, 5) == Cell(5)          # at the threshold: shown
    assert cell(4, 5).suppressed          # below: suppressed
    assert cell(0, 5).suppressed
    assert cell(0, 0) == Cell(0)          # threshold 0 suppresses nothing
    shown = rate_index(5, 10, 5, 20, threshold=5)
    assert shown.count == Cell(5) and shown.rate == pytest.approx(0.5)
    assert shown.rri == pytest.approx(2.0)
    hidden = rate_index(5, 10, 5, 20, threshold=6)
    assert hidden.count.suppressed and hidden.rate is None and hidden.rri is None
    assert hidden.total == Cell(10)


def test_a_suppressed_reference_leaves_the_index_out() -> None:
    figures = rate_index(8, 10, 4, 20, threshold=5)  # reference count 4 < 5
    assert figures.rate == pytest.approx(0.8)
    assert figures.rri is None and figures.low is None


def test_a_small_group_is_suppressed_whole() -> None:
    figures = rate_index(2, 4, 5, 20, threshold=5)
    assert figures.total.suppressed and figures.count.suppressed and figures.rate is None
    assert figures.to_json()["count"] == "suppressed"


def test_rate_of_suppressed_or_empty() -> None:
    assert rate(Cell(None), Cell(10)) is None
    assert rate(Cell(0), Cell(0)) is None
    assert rate(Cell(3), Cell(4)) == pytest.approx(0.75)
