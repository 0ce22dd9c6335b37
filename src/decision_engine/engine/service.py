"""The engine's front door: pick the policy version, evaluate, and keep compiled policies.

``evaluate`` takes rule inputs only (what replay needs); ``decide`` takes a case as a
caller sends it, splits the personal identifiers off into a ``Subject`` and turns a date
of birth into an age on the decision date.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from decision_engine.compiler.program import CompiledPolicy, compile_policy
from decision_engine.engine.decision import DECISION_FORMAT, Decision, check_format
from decision_engine.engine.evaluation import evaluate_compiled
from decision_engine.engine.matchers import DurableMatcher, FastMatcher, Matcher
from decision_engine.errors import InputError
from decision_engine.policy.registry import PolicyVersion, Registry
from decision_engine.strict_json import IsoDate

EngineKind = Literal["durable", "fast"]


class Case(BaseModel):
    """A case as callers send it. No names or addresses: a reference, a date of birth or
    an age, the facts the policy reads, and optional monitoring data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_reference: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")]
    date_of_birth: IsoDate | None = None
    age: int | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    monitoring: dict[str, str] = Field(
        default_factory=dict,
        description="Protected characteristics for disproportionality monitoring only.")


class Subject(BaseModel):
    """The personal identifiers of a decision, kept out of the chained audit record."""

    model_config = ConfigDict(frozen=True)

    case_reference: str
    date_of_birth: dt.date | None = None
    monitoring: dict[str, str] = Field(default_factory=dict)


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def parse_case(case: Mapping[str, Any] | Case) -> Case:
    if isinstance(case, Case):
        return case
    try:
        return Case.model_validate(case)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "case"
        raise InputError(where, err.get("input"), err["msg"]) from None


def case_facts(case: Case, on: dt.date) -> dict[str, Any]:
    """The rule inputs of a case: its facts plus the child's age on the decision date."""
    facts = dict(case.facts)
    if "age" in facts:
        raise InputError("facts.age", facts["age"], "give age at the top level, not in facts")
    if case.date_of_birth is not None:
        if case.date_of_birth > on:
            raise InputError("date_of_birth", case.date_of_birth.isoformat(),
                             "is after the decision date")
        age = age_on(case.date_of_birth, on)
        if case.age is not None and case.age != age:
            raise InputError("age", case.age, f"does not match date_of_birth (age {age} on "
                             f"{on.isoformat()})")
        facts["age"] = age
    elif case.age is not None:
        facts["age"] = case.age
    return facts


class Engine:
    """Compiled policies and their matchers, created once per version per process."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._compiled: dict[tuple[str, str, str], CompiledPolicy] = {}
        self._matchers: dict[tuple[str, str, str, str], Matcher] = {}
        self._lock = threading.Lock()

    def compiled(self, pv: PolicyVersion) -> CompiledPolicy:
        key = (pv.family, pv.version, pv.sha256)
        held = self._compiled.get(key)  # lock-free on the hot path; dict reads are atomic
        if held is None:
            with self._lock:
                if key not in self._compiled:
                    self._compiled[key] = compile_policy(pv.policy, pv.sha256, pv.entry.file)
                held = self._compiled[key]
        return held

    def matcher(self, pv: PolicyVersion, kind: EngineKind) -> Matcher:
        key = (pv.family, pv.version, pv.sha256, kind)
        held = self._matchers.get(key)
        if held is None:
            cp = self.compiled(pv)
            with self._lock:
                if key not in self._matchers:
                    self._matchers[key] = (DurableMatcher(cp) if kind == "durable"
                                           else FastMatcher(cp))
                held = self._matchers[key]
        return held

    def evaluate(self, family: str, facts: Mapping[str, Any], on: dt.date,
                 version: str | None = None, *, engine: EngineKind = "durable",
                 fmt: int = DECISION_FORMAT) -> Decision:
        """The decision in decision format *fmt* (replay asks for the recorded one)."""
        check_format(fmt)
        pv = self.registry.select(family, on, version)
        cp = self.compiled(pv)
        consult = None
        if cp.policy.consults:
            def consult(other: str, other_facts: Mapping[str, Any], day: dt.date) -> Decision:
                # only exposed parts are read; format 1 is the least work to build
                return self.evaluate(other, other_facts, day, engine=engine, fmt=1)

        return evaluate_compiled(cp, facts, on, self.matcher(pv, engine), consult, fmt)

    def decide(self, family: str, case: Mapping[str, Any] | Case, on: dt.date | None = None,
               version: str | None = None, *, engine: EngineKind = "durable",
               ) -> tuple[Subject, Decision]:
        parsed = parse_case(case)
        on = on or dt.date.today()
        try:
            decision = self.evaluate(family, case_facts(parsed, on), on, version, engine=engine)
        except InputError as exc:
            if exc.field != "facts.age":
                raise
            field = "age" if parsed.date_of_birth is None else "date_of_birth"
            shown = exc.value if parsed.date_of_birth is None else (
                parsed.date_of_birth.isoformat())
            raise InputError(field, shown, f"the child's age on {on.isoformat()} is "
                             f"{exc.value}; {exc.why}") from None
        subject = Subject(case_reference=parsed.case_reference,
                          date_of_birth=parsed.date_of_birth, monitoring=parsed.monitoring)
        return subject, decision


_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """A process-wide engine over the registry at the default root (loaded on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine(Registry.load())
        return _default


_engines: dict[int, tuple[Registry, Engine]] = {}


def _engine(registry: Registry | None) -> Engine:
    """One Engine per registry object, so a version compiles once per process."""
    if registry is None:
        return default_engine()
    with _default_lock:
        held = _engines.get(id(registry))
        if held is None or held[0] is not registry:
            held = (registry, Engine(registry))
            _engines[id(registry)] = held
        return held[1]


def evaluate(family: str, facts: Mapping[str, Any], on: dt.date, version: str | None = None,
             *, registry: Registry | None = None, engine: EngineKind = "durable",
             fmt: int = DECISION_FORMAT) -> Decision:
    return _engine(registry).evaluate(family, facts, on, version, engine=engine, fmt=fmt)


def decide(family: str, case: Mapping[str, Any] | Case, on: dt.date | None = None,
           version: str | None = None, *, registry: Registry | None = None,
           engine: EngineKind = "durable") -> tuple[Subject, Decision]:
    return _engine(registry).decide(family, case, on, version, engine=engine)
