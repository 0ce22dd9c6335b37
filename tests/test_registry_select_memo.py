"""select() by date remembers its choice per (family, day): the same answer, every day."""

from __future__ import annotations

import datetime as dt

import pytest

from decision_engine.errors import UnknownPolicyError
from decision_engine.policy.registry import Registry


def test_remembered_choices_equal_fresh_ones(registry: Registry) -> None:
    days = [dt.date(2010, 1, 1) + dt.timedelta(days=d) for d in range(0, 6200, 17)]
    for family in registry.families():
        for day in days:
            try:
                fresh = registry._select(family, day)
            except UnknownPolicyError:
                with pytest.raises(UnknownPolicyError):
                    registry.select(family, day)
                continue
            assert registry.select(family, day) is fresh
            assert registry.select(family, day) is fresh  # from the memo
