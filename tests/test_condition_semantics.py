"""Condition semantics, exhaustively, on every compile target — a mutation test for the
condition compiler.

Every operator, plain and under ``not``, on optional facts (absent or any value of a small
domain), is checked on durable-rules, the Python predicates and the outcome compiler
against an oracle written here from the language's definition: a comparison on an
absent fact is false, and ``not`` is its exact negation (so a negated comparison on an
absent optional fact holds). The bundled policies never negate a comparison on an
optional fact, so before this test dropping the absent-optional handling under ``not``
in ``DurableCompiler.compare`` failed nothing; the last tests make such mutations and
check this oracle catches each.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from decision_engine.compiler import conditions
from decision_engine.compiler.outcome import outcome_program
from decision_engine.compiler.program import compile_policy
from decision_engine.engine.matchers import DurableMatcher, FastMatcher
from decision_engine.policy import model as m

SRC = {"document": "T", "section": "test"}
DOMAINS: dict[str, list[Any]] = {"n": [0, 1, 2, 3], "k": ["a", "b", "c"], "b": [True, False]}
PY_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda x, v: x == v, "ne": lambda x, v: x != v, "lt": lambda x, v: x < v,
    "le": lambda x, v: x <= v, "gt": lambda x, v: x > v, "ge": lambda x, v: x >= v,
    "in": lambda x, v: x in v, "not_in": lambda x, v: x not in v,
}


def _comparisons() -> Iterator[tuple[str, str, Any]]:
    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        yield "n", op, 2
    for op in ("eq", "ne"):
        yield "k", op, "b"
        yield "b", op, True
    for op in ("in", "not_in"):
        yield "n", op, [1, 3]
        yield "k", op, ["a", "c"]


CONDITIONS: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = []
for _fact, _op, _value in _comparisons():
    def _oracle(f: dict[str, Any], fact: str = _fact, op: str = _op, value: Any = _value
                ) -> bool:
        return f.get(fact) is not None and PY_OPS[op](f[fact], value)

    def _negated(f: dict[str, Any], inner: Callable[[dict[str, Any]], bool] = _oracle
                 ) -> bool:
        return not inner(f)

    plain = {"fact": _fact, _op: _value}
    CONDITIONS.append((plain, _oracle))
    CONDITIONS.append(({"not": plain}, _negated))
    CONDITIONS.append(({"not": {"not": plain}}, _oracle))
CONDITIONS.append(({"not": {"all": [{"fact": "n", "ge": 1}, {"fact": "k", "eq": "a"}]}},
                   lambda f: not (f.get("n") is not None and f["n"] >= 1
                                  and f.get("k") == "a")))
CONDITIONS.append(({"not": {"any": [{"fact": "n", "lt": 1}, {"fact": "b", "eq": False}]}},
                   lambda f: not ((f.get("n") is not None and f["n"] < 1)
                                  or f.get("b") is False)))
CONDITIONS.append(({"not": {"fact": "n", "given": True}}, lambda f: f.get("n") is None))
CONDITIONS.append(({"fact": "k", "given": False}, lambda f: f.get("k") is None))
CONDITIONS.append(({"not": {"always": True}}, lambda f: False))
CONDITIONS.append(({"any": [{"not": {"always": True}}, {"fact": "b", "eq": False}]},
                   lambda f: f.get("b") is False))


def _policy() -> m.Policy:
    return m.Policy.model_validate({
        "family": "semantics", "version": "t1", "title": "condition semantics",
        "documents": {"T": {"title": "test"}}, "outcomes": ["no", "yes"],
        "resolution": {"default": "no"},
        "inputs": {"n": {"type": "int", "min": 0, "max": 3, "optional": True},
                   "k": {"type": "enum", "values": ["a", "b", "c"], "optional": True},
                   "b": {"type": "bool", "optional": True}},
        "rules": [{"id": f"c{i}", "when": cond, "reason": "r", "source": SRC}
                  for i, (cond, _) in enumerate(CONDITIONS)],
    })


def _cases() -> Iterator[dict[str, Any]]:
    names = list(DOMAINS)
    for values in itertools.product(*([None, *DOMAINS[n]] for n in names)):
        yield {n: v for n, v in zip(names, values, strict=True) if v is not None}


def mismatches() -> list[str]:
    """Every (target, condition, case) where a compile target disagrees with the oracle."""
    policy = _policy()
    cp = compile_policy(policy, "0" * 64, "semantics.yaml")
    program = outcome_program(policy)
    targets = {"durable-rules": DurableMatcher(cp).match, "python": FastMatcher(cp).match,
               "outcome compiler": lambda f: [
                   int(r[1:]) for r in program.evaluate(f, dt.date(2025, 1, 1)).fired]}
    out = []
    for facts in _cases():
        expected = [i for i, (_, oracle) in enumerate(CONDITIONS) if oracle(facts)]
        for name, match in targets.items():
            got = match(facts)
            for i in sorted(set(expected) ^ set(got)):
                out.append(f"{name}: {CONDITIONS[i][0]} on {facts}: "
                           f"{'missed' if i in expected else 'wrongly matched'}")
    return out


def test_every_target_follows_the_condition_semantics() -> None:
    assert mismatches() == []


def test_dropping_the_absent_optional_handling_under_not_is_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    original = conditions.DurableCompiler.compare

    def without(self: conditions.DurableCompiler, cond: m.Compare, negate: bool,
                ) -> dict[str, Any]:
        self.optional = set()
        return original(self, cond, negate)

    monkeypatch.setattr(conditions.DurableCompiler, "compare", without)
    found = mismatches()
    assert found and all(f.startswith("durable-rules:") for f in found)
    assert any("'not'" in f and "missed" in f for f in found)


@pytest.mark.parametrize(("op", "flipped"), [("lt", "le"), ("ge", "gt"), ("in", "not_in"),
                                             ("eq", "ne")])
def test_flipping_an_operator_is_caught(monkeypatch: pytest.MonkeyPatch, op: str,
                                        flipped: str) -> None:
    real = m.Compare.operator

    def mutated(self: m.Compare) -> tuple[str, Any]:
        name, value = real(self)
        return (flipped, value) if name == op else (name, value)

    monkeypatch.setattr(m.Compare, "operator", mutated)
    assert mismatches()


def test_flipping_a_negation_in_durable_rules_is_caught(monkeypatch: pytest.MonkeyPatch,
                                                        ) -> None:
    monkeypatch.setitem(conditions._NEGATE, "lt", "gt")
    found = mismatches()
    assert found and all(f.startswith("durable-rules:") for f in found)
