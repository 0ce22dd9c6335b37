"""The generated plain check (``compiler.inputs._plain_check``) against the full validator.

``FactValidator`` accepts plainly valid facts with straight-line generated code and sends
anything else to ``validate_facts``, which alone words errors. Over every bundled policy
version whose inputs it covers, for facts in the domain and just outside it, the two must
give the same normalised facts (same key order) or the same error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.compiler.inputs import FactValidator, _domain, validate_facts
from decision_engine.errors import InputError
from decision_engine.policy import model as m
from decision_engine.policy.registry import Registry
from tests.strategies import facts_for

REGISTRY = Registry.load()
VERSIONS = [pv for family in REGISTRY.families() for pv in REGISTRY.versions(family)]
PLAIN = [pv for pv in VERSIONS if FactValidator(pv.policy).check is not None]
per_plain_version = pytest.mark.parametrize("pv", PLAIN,
                                            ids=lambda pv: f"{pv.family}@{pv.version}")


ODD: list[Any] = [None, "", "x", 0, 1, -1, 1.0, 15.0, True, False, [], ["x"], {}, [[1]],
                  [None], dt.date(2025, 2, 3)]
DATES: list[Any] = ["2025-02-03", "2025-2-3", "20250203", "2025-02-30", "2025-W06-1",
                    " 2025-02-03", "2025-02-03T00:00", "0005-01-01", dt.datetime(2025, 2, 3)]


def _candidates(policy: m.Policy, inp: m.Input) -> list[Any]:
    """Values at and just past the edges of what *inp* accepts."""
    if inp.type == "int":
        lo = inp.min if inp.min is not None else -5
        hi = inp.max if inp.max is not None else 5
        return [lo - 1, lo, hi, hi + 1, float(lo), str(lo), True, *ODD]
    if inp.type in ("enum", "set"):
        dom = _domain(policy, inp.values, inp.from_table)
        if inp.type == "enum":
            return [dom[0], dom[-1], dom[0].upper(), *ODD]
        return [[dom[-1], dom[0]], [dom[0], dom[0]], [dom[0], "x"], [dom[0], 1], [dom[0], [1]],
                dom[:1], *ODD]
    if inp.type == "date":
        return [*DATES, *ODD]
    return ODD


def _base(policy: m.Policy) -> dict[str, Any]:
    """Facts every input accepts: the first value of each domain."""
    first = {"bool": False, "set": [], "date": "2025-02-03"}
    return {name: (inp.min if inp.min is not None else 0) if inp.type == "int"
            else _domain(policy, inp.values, inp.from_table)[0] if inp.type == "enum"
            else first[inp.type] for name, inp in policy.inputs.items()}


@per_plain_version
def test_every_edge_of_every_input_is_judged_as_the_full_validator_judges_it(pv: Any) -> None:
    """Exhaustive over one changed input at a time: each edge value, and the input left
    out, on facts that are otherwise valid."""
    validator = FactValidator(pv.policy)
    base = _base(pv.policy)
    assert validator.check is not None and validator.check(base) is not None
    tried = 0
    for name, inp in pv.policy.inputs.items():
        for value in [*_candidates(pv.policy, inp), _ABSENT]:
            facts = dict(base)
            if value is _ABSENT:
                del facts[name]
            else:
                facts[name] = value
            full = _outcome(lambda f: validate_facts(pv.policy, f), facts)
            assert _outcome(validator, facts) == full, (name, value)
            tried += 1
    assert tried >= 10 * len(pv.policy.inputs)


_ABSENT = object()


def _near(policy: m.Policy, inp: m.Input) -> st.SearchStrategy[Any]:
    """A value the input accepts, or one just outside what the plain check takes."""
    odd = st.sampled_from(ODD)
    if inp.type == "int":
        lo = inp.min if inp.min is not None else -5
        hi = inp.max if inp.max is not None else 5
        near = st.sampled_from([lo - 1, lo, hi, hi + 1, float(lo), str(lo), True])
        return st.integers(lo, hi) | near | odd
    if inp.type in ("enum", "set"):
        dom = _domain(policy, inp.values, inp.from_table)
        one = st.sampled_from(dom)
        if inp.type == "enum":
            return one | odd
        lists = st.lists(one | st.sampled_from(["x", 1, None]), max_size=4)
        return lists | lists.map(lambda v: v + v[:1]) | odd  # and a member twice
    if inp.type == "date":
        texts = st.sampled_from(["2025-02-03", "2025-2-3", "20250203", "2025-02-30",
                                 "2025-W06-1", " 2025-02-03", "2025-02-03T00:00"])
        return st.dates().map(dt.date.isoformat) | texts | st.dates() | odd
    return st.booleans() | odd


@st.composite
def near_facts(draw: st.DrawFn, policy: m.Policy) -> dict[str, Any]:
    """Valid facts with one or two inputs changed (a near value, or left out), so the
    change is what decides; now and then an unknown name too."""
    facts = dict(draw(facts_for(policy)))
    names = list(policy.inputs)
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=2)):
        if draw(st.integers(0, 5)) == 0:
            facts.pop(name, None)
        else:
            facts[name] = draw(_near(policy, policy.inputs[name]))
    if draw(st.integers(0, 20)) == 0:
        facts["not_an_input"] = True
    return facts


def _outcome(validate: Any, facts: dict[str, Any]) -> Any:
    try:
        return list(validate(facts).items())
    except InputError as exc:
        return ("error", exc.field, str(exc))


def test_the_plain_check_covers_the_usual_policies() -> None:
    """Only policies with list inputs (items with fields) are left to the full path."""
    assert len(PLAIN) >= len(VERSIONS) // 2
    for pv in VERSIONS:
        lists = [n for n, i in pv.policy.inputs.items() if i.type == "list"]
        assert (FactValidator(pv.policy).check is None) == bool(lists), pv.version


@per_plain_version
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_plain_check_agrees_with_the_full_validator(pv: Any, data: st.DataObject) -> None:
    facts = data.draw(near_facts(pv.policy))
    validator = FactValidator(pv.policy)
    full = _outcome(lambda f: validate_facts(pv.policy, f), facts)
    assert _outcome(validator, facts) == full
    assert validator.check is not None
    quick = validator.check(facts) if validator.names.issuperset(facts) else None
    if quick is not None:  # what it accepts, it normalises exactly as the full path
        assert list(quick.items()) == full


@per_plain_version
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_plainly_valid_facts_take_the_plain_check(pv: Any, data: st.DataObject) -> None:
    facts = data.draw(facts_for(pv.policy))
    validator = FactValidator(pv.policy)
    assert validator.check is not None
    quick = validator.check(facts)
    assert quick is not None
    assert list(quick.items()) == list(validate_facts(pv.policy, facts).items())
