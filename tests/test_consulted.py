"""What a decision reads of a family it consults. Its own consult reads an ``Answer`` (the
consulted decision without its reasons); a change tried for a counterfactual reads a
``Peek`` (the consulted family's outcome program). Each must answer every path exactly
as the format-1 decision does and refuse exactly what it refuses, and the answer must
carry that decision's policy, outcome and warnings, sign-offs included, so a
consulting decision's bytes cannot tell either from the decision."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.authoring.signoff import write_signoff
from decision_engine.engine import Decision, Engine
from decision_engine.errors import DecisionEngineError
from decision_engine.policy.registry import Registry, bundled_root
from tests.strategies import cases_for
from tests.test_outcome_compiler import ENGINE, REGISTRY

_CONSULTED = sorted({(spec.family, pv.version, tuple(spec.expose.values()))
                     for f in REGISTRY.families() for cpv in REGISTRY.versions(f)
                     for spec in cpv.policy.consults.values()
                     for pv in REGISTRY.versions(spec.family)})
_ELSEWHERE = ("summary", "warnings", "outcomes", "reasons.0.rule", "provenance.0.name",
              "input", "nowhere")
"""Paths neither holds itself: they come from the full decision (or raise as it does)."""


def _reads_as(full: Decision, got: Any, paths: tuple[str, ...]) -> None:
    for path in (*paths, *_ELSEWHERE):
        try:
            expected: Any = full.at(path)
        except Exception as exc:  # whatever it is, *got* must raise it too
            with pytest.raises(type(exc)):
                got.at(path)
            continue
        assert got.at(path) == expected, path


@pytest.mark.parametrize(("family", "version", "paths"), _CONSULTED)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_peek_and_an_answer_read_as_the_consulted_decision(
        family: str, version: str, paths: tuple[str, ...], data: st.DataObject) -> None:
    facts, on = data.draw(cases_for(REGISTRY.get(family, version)))
    engine = data.draw(st.sampled_from(["durable", "fast"]))
    signed = data.draw(st.booleans())
    try:
        full = ENGINE.evaluate(family, facts, on, version, engine=engine, fmt=1,
                               signed=signed)
    except DecisionEngineError as exc:
        with pytest.raises(type(exc)):
            ENGINE.peek(family, facts, on, version, engine=engine, signed=signed)
        with pytest.raises(type(exc)):
            ENGINE.answer(family, facts, on, version, engine=engine, signed=signed)
        return
    _reads_as(full, ENGINE.peek(family, facts, on, version, engine=engine, signed=signed),
              paths)
    answer = ENGINE.answer(family, facts, on, version, engine=engine, signed=signed)
    assert (answer.policy, answer.outcome, answer.warnings) == (
        full.policy, full.outcome, full.warnings)
    _reads_as(full, answer, paths)


def test_an_answer_carries_the_sign_offs_a_signed_consult_applies(tmp_path: Path) -> None:
    src = bundled_root()
    shutil.copy(src / "policies.yaml", tmp_path / "policies.yaml")
    shutil.copytree(src / "rules", tmp_path / "rules")
    facts = {"offence": "theft_from_shop", "age": 15, "sufficient_evidence": True,
             "admission": "admitted"}
    on = dt.date(2026, 2, 1)
    version = Registry.load(tmp_path).select("gravity-matrix", on).version
    write_signoff(tmp_path, "gravity-matrix", version, "offences/theft_from_shop",
                  by="A Checker", document="NPCC Child Gravity Matrix (printed copy)",
                  page="p. 4", signed_on=dt.date(2026, 1, 10), effective_from=on)
    engine = Engine(Registry.load(tmp_path))
    row = [w for w in engine.answer("gravity-matrix", facts, on).warnings
           if "'theft_from_shop'" in w]
    assert row, "unsigned, the row's warning carries over"
    for signed in (False, True):
        answer = engine.answer("gravity-matrix", facts, on, signed=signed)
        full = engine.evaluate("gravity-matrix", facts, on, fmt=1, signed=signed)
        assert answer.warnings == full.warnings
        assert (row[0] in answer.warnings) is not signed
