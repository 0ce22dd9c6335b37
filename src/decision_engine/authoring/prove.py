"""Declared properties, checked over every case of the reduced domain.

A property is data (docs/authoring.md): ``when`` and ``then`` conditions in the policy
language, which may also read ``outcome`` and ``indicated``; or ``monotone``: one step up
in an input never gives a less severe (or more severe) outcome. Because the domain's
classes cover every raw case, a property that holds on every class holds on every case:
that is a proof, not a sample. A failure prints the counterexample with the fewest
facts away from the first class of each input.

Properties of an approved version live in ``rules/<family>/<version>.properties.yaml``
(an approved file is never edited); a new revision may carry them in a ``properties:``
section of its own file. Both are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from decision_engine.authoring.domain import Case, Domain
from decision_engine.authoring.evaluate import Result, compiled, evaluate
from decision_engine.compiler.conditions import python_predicate
from decision_engine.errors import PolicyError
from decision_engine.policy import model as m
from decision_engine.policy.loader import load_yaml_file, validate

MAX_CASES = 500_000
"""Largest reduced domain enumerated (tens of seconds); larger ones are refused, never
sampled."""


class Accepted(BaseModel):
    """A lint finding the policy's maintainers looked at and accept, with why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    rule: str | None = Field(default=None, description="Rule id, when the finding names one.")
    reason: str = Field(min_length=10)


class SideFile(BaseModel):
    """``<version>.properties.yaml``: properties and accepted findings for a version whose
    own file is approved and so cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: str
    version: str
    properties: list[m.Property] = Field(default_factory=list)
    accepted: list[Accepted] = Field(default_factory=list)


def side_path(policy_file: Path) -> Path:
    return policy_file.with_name(policy_file.stem + ".properties.yaml")


def load_side(policy: m.Policy, policy_file: Path,
              display: str | None = None) -> tuple[m.Policy, SideFile | None, Any]:
    """The policy with its side file's properties added (and the side file itself)."""
    path = side_path(policy_file)
    if not path.is_file():
        return policy, None, None
    name = display or str(path)
    _, root = load_yaml_file(path, name)
    side = validate(SideFile, root, name)
    if (side.family, side.version) != (policy.family, policy.version):
        raise PolicyError(name, "registry-mismatch", f"side file names {side.family} "
                          f"{side.version}, beside {policy.family} {policy.version}")
    return policy.model_copy(update={"properties": [*policy.properties,
                                                    *side.properties]}), side, root


@dataclass
class Counterexample:
    case: Case
    labels: list[str]
    outcome: str
    step: str | None = None
    """For a monotone property: the step taken and the outcome it led to."""


@dataclass
class Verdict:
    prop: m.Property
    holds: bool
    checked: int
    counterexample: Counterexample | None = None

    def lines(self) -> list[str]:
        """The verdict for a reader (``prove`` and the approval gate): the property, its
        source and, when it fails, the minimal counterexample with its facts."""
        p = self.prop
        out = [f"{'proved' if self.holds else 'FAILS '} {p.id}  ({p.source.document}, "
               f"{p.source.section})"]
        cx = self.counterexample
        if cx is not None:
            out.append(f"    counterexample: {'; '.join(cx.labels)} → {cx.outcome}"
                       + (f"; then {cx.step}" if cx.step else ""))
            out.append(f"    facts: {json.dumps(dict(cx.case.facts), sort_keys=True)} "
                       f"on {cx.case.day.isoformat()}")
        return out


@dataclass
class Proof:
    domain: Domain
    verdicts: list[Verdict] = field(default_factory=list)
    refused: str | None = None


def _weight(case: Case) -> tuple[int, int, tuple[int, ...]]:
    """Smaller is simpler: fewest inputs off their first class, then smallest classes."""
    return (sum(1 for i in case.index if i), sum(case.index), case.index)


class Evaluated:
    """Results per case, evaluated once and shared by every property (and lint)."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self.cp = compiled(domain.policy)
        self._memo: dict[tuple[int, tuple[int, ...]], Result] = {}

    def result(self, case: Case) -> Result:
        key = (case.date, case.index)
        held = self._memo.get(key)
        if held is None:
            held = self._memo[key] = evaluate(self.cp, case.facts, case.day)
        return held

    def at(self, date: int, index: tuple[int, ...]) -> Result:
        held = self._memo.get((date, index))
        return held if held is not None else self.result(self.domain.case(date, index))

    def all(self) -> Iterator[tuple[Case, Result]]:
        for case in self.domain.cases():
            yield case, self.result(case)


def prove(domain: Domain, props: list[m.Property] | None = None,
          evaluated: Evaluated | None = None) -> Proof:
    policy = domain.policy
    props = list(policy.properties if props is None else props)
    proof = Proof(domain)
    if domain.refused:
        proof.refused = "; ".join(domain.refused)
        return proof
    if not props:
        return proof
    if domain.size > MAX_CASES:
        proof.refused = (f"the reduced domain has {domain.size:,} cases, more than the "
                         f"{MAX_CASES:,} enumerated; nothing is sampled instead")
        return proof
    ev = evaluated or Evaluated(domain)
    ladder = {o: i for i, o in enumerate(policy.outcomes)}
    checks = []
    for prop in props:
        when = python_predicate(prop.when, policy.parameters)
        then = python_predicate(prop.then, policy.parameters) if prop.then else None
        mono = prop.monotone
        dims: list[int] = []
        if mono is not None:
            dims = [[d.name for d in dc.dims].index(mono.input)
                    if mono.input in [d.name for d in dc.dims] else -1 for dc in domain.dates]
            if -1 in dims:
                raise PolicyError(f"{policy.family} {policy.version}", "bad-property",
                                  f"property {prop.id}: monotone input {mono.input!r} is not "
                                  "an input with its own dimension (a passed-on fact?)")
        checks.append((prop, when, then, mono, dims))
    best: dict[str, Counterexample] = {}
    counted = 0
    for case, result in ev.all():
        counted += 1
        for prop, when, then, mono, dims in checks:
            if not when(result.facts):
                continue
            failure: Counterexample | None = None
            if then is not None and not then(result.facts):
                failure = Counterexample(case, domain.describe(case), result.outcome)
            elif mono is not None:
                dc = domain.dates[case.date]
                d = dims[case.date]
                succ = dc.dims[d].successors
                for j in succ(case.index[d]) if succ else []:
                    nxt = (*case.index[:d], j, *case.index[d + 1:])
                    after = ev.at(case.date, nxt)
                    up = ladder[after.outcome] - ladder[result.outcome]
                    if up < 0 if mono.direction == "never_less_severe" else up > 0:
                        failure = Counterexample(
                            case, domain.describe(case), result.outcome,
                            f"{dc.dims[d].classes[j].label} gives {after.outcome}")
                        break
            if failure is not None:
                held = best.get(prop.id)
                if held is None or _weight(failure.case) < _weight(held.case):
                    best[prop.id] = failure
    for prop, *_ in checks:
        cx = best.get(prop.id)
        proof.verdicts.append(Verdict(prop, cx is None, counted, cx))
    return proof
