"""The engine's front door: pick the policy version, evaluate, and keep compiled policies.

``evaluate`` takes rule inputs only (what replay needs); ``decide`` takes a case as a
caller sends it, splits the personal identifiers off into a ``Subject`` and turns a date
of birth into an age on the decision date.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from decision_engine.compiler.program import CompiledPolicy, compile_policy
from decision_engine.engine.decision import DECISION_FORMAT, Decision, check_format
from decision_engine.engine.evaluation import (
    Answer,
    Consulter,
    Peek,
    Peeker,
    answer_compiled,
    evaluate_compiled,
    peek_compiled,
)
from decision_engine.engine.matchers import DurableMatcher, FastMatcher, Matcher
from decision_engine.errors import InputError, UnknownPolicyError
from decision_engine.policy.registry import PolicyVersion, Registry
from decision_engine.strict_json import IsoDate, JsonInt

EngineKind = Literal["durable", "fast"]


class Case(BaseModel):
    """A case as callers send it. No names or addresses: a reference, a date of birth or
    an age, the facts the policy reads, and optional monitoring data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_reference: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")]
    date_of_birth: IsoDate | None = None
    age: JsonInt | None = Field(
        default=None, description="The child's age on the decision date: a JSON integer "
        "(15; 15.0 is the same JSON number; never \"15\" or true), as every whole-number "
        "fact.")
    facts: dict[str, Any] = Field(default_factory=dict)
    monitoring: dict[str, str] = Field(
        default_factory=dict,
        description="Protected characteristics for disproportionality monitoring only.")


class CaseRequest(BaseModel):
    """A case with the day it is decided on: the body of ``POST /v1/decisions/{family}``
    and what an example file holds, so an example written for one day decides the same
    way on every later day."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case: Case
    decision_date: IsoDate | None = Field(
        default=None, description="The day the decision is made (default: today, UTC). "
        "Selects the policy version in force and the child's age.")
    policy_version: str | None = Field(
        default=None, description="Evaluate under this version instead of the one in force "
        "(drafts only when named).")


class Subject(BaseModel):
    """The personal identifiers of a decision, kept out of the chained audit record."""

    model_config = ConfigDict(frozen=True)

    case_reference: str
    date_of_birth: dt.date | None = None
    monitoring: dict[str, str] = Field(default_factory=dict)


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: Any, top: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or top
        raise InputError(where, err.get("input"), err["msg"]) from None


def parse_case(case: Mapping[str, Any] | Case) -> Case:
    if isinstance(case, Case):
        return case
    return _validated(Case, case, "case")


def parse_request(data: Any) -> CaseRequest:
    """A case file: the request wrapper ``{"case": …, "decision_date": …}``, or a bare
    case (no date of its own)."""
    if isinstance(data, Mapping) and "case" in data:
        return _validated(CaseRequest, data, "request")
    return CaseRequest(case=parse_case(data))


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
            raise InputError("age", f"{case.age} (date_of_birth gives {age})",
                             f"does not match date_of_birth on {on.isoformat()}")
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
        self._ready: dict[tuple[PolicyVersion, str], tuple[CompiledPolicy, Matcher]] = {}
        """Per registered version object and engine: its compiled policy and matcher, so
        an evaluation finds both with one lookup (the object, not its names, is the key)."""
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
                 fmt: int = DECISION_FORMAT, signed: bool | None = None,
                 pins: Mapping[str, str] | None = None) -> Decision:
        """The decision in decision format *fmt* (replay asks for the recorded one).
        Local sign-offs apply from format 3 on (*signed* overrides that for a consulted
        family, which is built in format 1 for speed but answers for its consulter).

        *pins* maps a consulted family to the version to consult instead of the one the
        date selects: replay passes the versions a recorded decision consulted (its
        provenance), so a later revision of a consulted family never changes it."""
        check_format(fmt)
        pv = self.registry.select(family, on, version)
        cp, matcher = self._ready_for(pv, engine)
        signed = fmt >= 3 if signed is None else signed
        consult = peek = None
        if cp.policy.consults:
            consult = self._consulter(engine, signed, pins)
            peek = self._peeker(engine, signed, pins)
        signoffs = self.registry.signoffs.active(family, pv.version, on) if signed else None
        return evaluate_compiled(cp, facts, on, matcher, consult, fmt, signoffs or None,
                                 peek)

    def peek(self, family: str, facts: Mapping[str, Any], on: dt.date,
             version: str | None = None, *, engine: EngineKind = "durable",
             signed: bool = False, pins: Mapping[str, str] | None = None) -> Peek:
        """What the format-1 decision :meth:`evaluate` would make exposes, without
        explaining it (``evaluation.Peek``); raises as that evaluation would."""
        cp = self.compiled(self.registry.select(family, on, version))
        consult = self._peeker(engine, signed, pins) if cp.policy.consults else None
        full = functools.partial(self.evaluate, family, facts, on, version, engine=engine,
                                 fmt=1, signed=signed, pins=pins)
        return peek_compiled(cp, facts, on, consult, full)

    def answer(self, family: str, facts: Mapping[str, Any], on: dt.date,
               version: str | None = None, *, engine: EngineKind = "durable",
               signed: bool = False, pins: Mapping[str, str] | None = None) -> Answer:
        """What a consulter reads of the format-1 decision :meth:`evaluate` would make
        (its policy, outcome, warnings and exposed values), without its reasons
        (``evaluation.Answer``); raises as that evaluation would."""
        pv = self.registry.select(family, on, version)
        cp, matcher = self._ready_for(pv, engine)
        consult = self._consulter(engine, signed, pins) if cp.policy.consults else None
        signoffs = self.registry.signoffs.active(family, pv.version, on) if signed else None
        full = functools.partial(self.evaluate, family, facts, on, version, engine=engine,
                                 fmt=1, signed=signed, pins=pins)
        return answer_compiled(cp, facts, on, matcher, consult, signoffs or None, full)

    def _consulter(self, engine: EngineKind, signed: bool,
                   pins: Mapping[str, str] | None) -> Consulter:
        """Decides a consulted family for its consulter (the version *pins* names, if any)."""
        def consult(other: str, other_facts: Mapping[str, Any], day: dt.date) -> Answer:
            return self.answer(other, other_facts, day, None if pins is None else pins.get(other),
                               engine=engine, signed=signed, pins=pins)
        return consult

    def _peeker(self, engine: EngineKind, signed: bool,
                pins: Mapping[str, str] | None) -> Peeker:
        """The same for a change tried for a counterfactual, which reads only what the
        consulted family exposes."""
        def peek(other: str, other_facts: Mapping[str, Any], day: dt.date) -> Peek:
            return self.peek(other, other_facts, day, None if pins is None else pins.get(other),
                             engine=engine, signed=signed, pins=pins)
        return peek

    def _ready_for(self, pv: PolicyVersion, engine: EngineKind,
                   ) -> tuple[CompiledPolicy, Matcher]:
        ready = self._ready.get((pv, engine))
        if ready is None:
            ready = self._ready[(pv, engine)] = (self.compiled(pv), self.matcher(pv, engine))
        return ready

    def decide(self, family: str, case: Mapping[str, Any] | Case, on: dt.date | None = None,
               version: str | None = None, *, engine: EngineKind = "durable",
               ) -> tuple[Subject, Decision]:
        parsed = parse_case(case)
        on = on or dt.date.today()
        try:
            decision = self._decide_on(family, parsed, on, version, engine)
        except InputError as exc:
            found = self._another_day(family, parsed, on, version)
            if found is not None:
                exc.decides_on, exc.decides_under = found
            raise
        subject = Subject(case_reference=parsed.case_reference,
                          date_of_birth=parsed.date_of_birth, monitoring=parsed.monitoring)
        return subject, decision

    def _decide_on(self, family: str, case: Case, on: dt.date, version: str | None,
                   engine: EngineKind) -> Decision:
        try:
            return self.evaluate(family, case_facts(case, on), on, version, engine=engine)
        except InputError as exc:
            if exc.field != "facts.age":
                raise
            # The reason names neither the age nor the date of birth: API responses never
            # echo what was sent, and an age derived from a date of birth would reveal it.
            if case.date_of_birth is None:
                raise InputError("age", case.age, exc.why) from None
            raise InputError("date_of_birth", f"{case.date_of_birth.isoformat()} (age "
                             f"{exc.value})", f"the child's age on {on.isoformat()} "
                             f"{exc.why}") from None

    def _another_day(self, family: str, case: Case, failed: dt.date,
                     version: str | None) -> tuple[dt.date, str] | None:
        """A day, other than *failed*, on which *case* decides: the first and last day of
        each approved version (or of the named one), newest first, up to today."""
        try:
            versions = ([self.registry.get(family, version)] if version is not None else
                        [pv for pv in self.registry.versions(family)
                         if pv.entry.status == "approved"])
        except UnknownPolicyError:
            return None
        today = dt.date.today()
        days = {d for pv in versions for d in (
            pv.entry.effective_from,
            pv.entry.effective_to - dt.timedelta(days=1) if pv.entry.effective_to else today)}
        for day in sorted((d for d in days if d <= today and d != failed), reverse=True):
            try:
                decision = self._decide_on(family, case, day, version, "fast")
            except (InputError, UnknownPolicyError):
                continue
            return day, decision.policy.version
        return None


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
             fmt: int = DECISION_FORMAT, pins: Mapping[str, str] | None = None) -> Decision:
    return _engine(registry).evaluate(family, facts, on, version, engine=engine, fmt=fmt,
                                      pins=pins)


def decide(family: str, case: Mapping[str, Any] | Case, on: dt.date | None = None,
           version: str | None = None, *, registry: Registry | None = None,
           engine: EngineKind = "durable") -> tuple[Subject, Decision]:
    return _engine(registry).decide(family, case, on, version, engine=engine)
