"""The policy language as pydantic models: what a policy YAML file may say.

Everything is data: inputs with finite declared domains, parameters, lookup tables,
derived facts (expressions), rules (a condition plus effects) and outputs. There is no
embedded code, so the same document can be compiled to durable-rules, to a fast Python
evaluator, checked exhaustively, diffed and rendered. See docs/policy-language.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
Scalar = bool | int | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a rule, row or parameter comes from: a declared document and a place in it."""

    document: str = Field(description="Key of an entry in the policy's `documents` map.")
    section: str = Field(min_length=1, description="Paragraph, section or table in it.")


class Document(_Strict):
    title: str
    url: str | None = None
    note: str | None = None


# --- values referenced from conditions and expressions -------------------------------


class ParamRef(_Strict):
    param: Name


Operand = Scalar | ParamRef | list[Scalar]


# --- conditions -------------------------------------------------------------------


class FactRef(_Strict):
    fact: Name


class Compare(_Strict):
    """``{fact: NAME, <op>: VALUE}`` with exactly one operator.

    VALUE is a literal or ``{param: P}``; ``{fact: F}`` (fact against fact) is allowed only
    in conditions evaluated during derivation (``where``, ``holds``, ``if``), not in rules.
    """

    fact: Name
    eq: Scalar | ParamRef | FactRef | None = None
    ne: Scalar | ParamRef | FactRef | None = None
    lt: int | str | ParamRef | FactRef | None = None
    le: int | str | ParamRef | FactRef | None = None
    gt: int | str | ParamRef | FactRef | None = None
    ge: int | str | ParamRef | FactRef | None = None
    in_: list[Scalar] | ParamRef | None = Field(default=None, alias="in")
    not_in: list[Scalar] | ParamRef | None = None
    has: str | None = Field(default=None, description="Set-valued fact contains this member.")
    given: bool | None = Field(default=None, description="Optional fact was (not) supplied.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def operator(self) -> tuple[str, Any]:
        ops = [
            (name, getattr(self, attr))
            for name, attr in _COMPARE_OPS
            if getattr(self, attr) is not None
        ]
        if len(ops) != 1:
            found = ", ".join(n for n, _ in ops) or "none"
            raise ValueError(f"a comparison needs exactly one operator, found {found}")
        return ops[0]


_COMPARE_OPS = [
    ("eq", "eq"), ("ne", "ne"), ("lt", "lt"), ("le", "le"), ("gt", "gt"), ("ge", "ge"),
    ("in", "in_"), ("not_in", "not_in"), ("has", "has"), ("given", "given"),
]


class Always(_Strict):
    always: Literal[True]


class AllOf(_Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(_Strict):
    any: list[Condition] = Field(min_length=1)


class Not(_Strict):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _condition_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return {AllOf: "all", AnyOf: "any", Not: "not", Always: "always", Compare: "fact"}.get(
            type(value)
        )
    if isinstance(value, dict):
        for key in ("all", "any", "not", "always", "fact"):
            if key in value:
                return key
    return None


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[Always, Tag("always")]
    | Annotated[Compare, Tag("fact")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message="a condition is one of {all: [...]}, {any: [...]}, {not: ...}, "
        "{always: true} or {fact: NAME, <op>: VALUE}",
    ),
]


# --- expressions (derived facts and outputs) ---------------------------------------


class Lookup(_Strict):
    table: Name
    key: Expr
    column: Name


class Clamp(_Strict):
    value: Expr
    min: Expr
    max: Expr


class IfThen(_Strict):
    when: Condition
    then: Expr
    else_: Expr = Field(alias="else")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CountItems(_Strict):
    """Count members of a set fact, or items of a list fact matching ``where``."""

    of: Name
    where: Condition | None = None


class SelectItems(_Strict):
    """The ``id`` fields of the items of a list fact matching ``where`` (for explanations)."""

    of: Name
    where: Condition | None = None
    field: Name = "id"


class MonthsBefore(_Strict):
    """ISO date ``months`` calendar months before the decision date."""

    months: Expr


class WorkingDays(_Strict):
    """The date ``days`` working days after ``date``: Monday to Friday, skipping the dates
    that are rows of the ``calendar`` table (e.g. bank holidays). ``date`` itself is not
    counted. Null when ``date`` is absent or the count leaves the calendar's years."""

    date: Expr
    days: int | ParamRef = Field(description="A whole number ≥ 0, or a parameter holding one.")
    calendar: Name = Field(description="A table whose row keys are the non-working weekdays "
                           "(ISO dates) of every year from its first row's to its last's.")


class ExprAdd(_Strict):
    add: list[Expr] = Field(min_length=1)


class ExprSub(_Strict):
    sub: Annotated[list[Expr], Field(min_length=2, max_length=2)]


class ExprMin(_Strict):
    min: list[Expr] = Field(min_length=1)


class ExprMax(_Strict):
    max: list[Expr] = Field(min_length=1)


class ExprLookup(_Strict):
    lookup: Lookup


class ExprClamp(_Strict):
    clamp: Clamp


class ExprIf(_Strict):
    if_: IfThen = Field(alias="if")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ExprCount(_Strict):
    count: CountItems


class ExprSelect(_Strict):
    select: SelectItems


class ExprMonthsBefore(_Strict):
    months_before_decision: MonthsBefore


class ExprAddWorkingDays(_Strict):
    add_working_days: WorkingDays


class ExprCondition(_Strict):
    """A boolean derived fact: true when the condition holds."""

    holds: Condition


_EXPR_KINDS: dict[str, type[BaseModel]] = {
    "fact": FactRef, "param": ParamRef, "add": ExprAdd, "sub": ExprSub, "min": ExprMin,
    "max": ExprMax, "lookup": ExprLookup, "clamp": ExprClamp, "if": ExprIf,
    "count": ExprCount, "select": ExprSelect,
    "months_before_decision": ExprMonthsBefore, "add_working_days": ExprAddWorkingDays,
    "holds": ExprCondition,
}


def _expr_kind(value: Any) -> str | None:
    if isinstance(value, bool | int | str):
        return "literal"
    if isinstance(value, BaseModel):
        for key, cls in _EXPR_KINDS.items():
            if type(value) is cls:
                return key
        return None
    if isinstance(value, dict):
        for key in _EXPR_KINDS:
            if key in value:
                return key
    return None


Expr = Annotated[
    Annotated[Scalar, Tag("literal")]
    | Annotated[FactRef, Tag("fact")]
    | Annotated[ParamRef, Tag("param")]
    | Annotated[ExprAdd, Tag("add")]
    | Annotated[ExprSub, Tag("sub")]
    | Annotated[ExprMin, Tag("min")]
    | Annotated[ExprMax, Tag("max")]
    | Annotated[ExprLookup, Tag("lookup")]
    | Annotated[ExprClamp, Tag("clamp")]
    | Annotated[ExprIf, Tag("if")]
    | Annotated[ExprCount, Tag("count")]
    | Annotated[ExprSelect, Tag("select")]
    | Annotated[ExprMonthsBefore, Tag("months_before_decision")]
    | Annotated[ExprAddWorkingDays, Tag("add_working_days")]
    | Annotated[ExprCondition, Tag("holds")],
    Discriminator(
        _expr_kind,
        custom_error_type="expression",
        custom_error_message="an expression is a literal or one of {fact}, {param}, {add}, "
        "{sub}, {min}, {max}, {lookup}, {clamp}, {if}, {count}, {select}, "
        "{months_before_decision}, {add_working_days}, {holds}",
    ),
]


# --- declarations -------------------------------------------------------------------


class ItemField(_Strict):
    """A field of each item in a list input."""

    type: Literal["bool", "int", "enum", "date"]
    values: list[str] | None = None
    from_table: Name | None = None
    min: int | None = None
    max: int | None = None


class Input(_Strict):
    """A named fact the caller supplies, with a finite declared domain."""

    type: Literal["bool", "int", "enum", "set", "date", "list"]
    description: str = ""
    values: list[str] | None = Field(default=None, description="enum/set: allowed values")
    from_table: Name | None = Field(default=None, description="enum/set: keys of this table")
    min: int | None = None
    max: int | None = None
    max_items: int | None = Field(default=None, description="list: most items accepted")
    items: dict[Name, ItemField] | None = Field(default=None, description="list: item fields")
    default: Any = None
    optional: bool = Field(default=False, description="May be absent; test with `given`.")
    counterfactual: bool | None = Field(
        default=None,
        description="A panel can act on or dispute this input, so each decision lists the "
        "single changes to it that would change the outcome. Unset: yes for bool, enum "
        "and set inputs, no for numbers, dates and lists.",
    )
    informs_only: bool = Field(
        default=False,
        description="Recorded and shown, never read by a rule (e.g. previous disposals: "
        "no escalator). The checker refuses a rule or derived fact that reads it.",
    )


class Parameter(_Strict):
    """A policy constant with provenance; unverified ones raise a warning when used."""

    value: Scalar | list[Scalar]
    description: str = ""
    verified: bool = False
    kind: Literal["local_setting", "reading"] = Field(
        default="local_setting",
        description="What an unverified value is, which the decision's warning says: "
        "`local_setting` (the default: a choice the service makes and confirms) or "
        "`reading` (this encoding's reading of a published national text, to confirm "
        "against that text).")
    source: Source


class Table(_Strict):
    """A lookup table keyed by row name; every row carries its own source."""

    description: str = ""
    columns: dict[Name, Literal["bool", "int", "str"]]
    rows: dict[str, dict[str, Any]] = Field(min_length=1)


class Derived(_Strict):
    description: str = ""
    expr: Expr


class Resolution(_Strict):
    """How fired `indicate` effects become one outcome."""

    default: str = Field(description="Outcome when no rule indicates one.")
    when_blocked: Literal["next_less_severe", "none"] = "next_less_severe"


class Rule(_Strict):
    id: RuleId
    description: str = ""
    when: Condition
    indicate: str | None = None
    priority: int = 0
    block: list[str] = Field(default_factory=list)
    set: dict[Name, Scalar] = Field(default_factory=dict)
    flag: list[Name] = Field(default_factory=list)
    warn: str | None = None
    variant: Name | None = None
    applies_if_outcome: list[str] | None = Field(
        default=None,
        description="Effects count only when the resolved outcome is one of these.",
    )
    reason: str = Field(min_length=1, description="Template; {name} inserts a fact's value.")
    source: Source
    verified: bool = Field(
        default=True,
        description="False when the rule's content could not be checked against its source; "
        "a decision it takes part in then carries a warning.",
    )


class Consult(_Strict):
    """Evaluate another family (the version in force on the decision date) and read
    parts of its decision as facts, e.g. the court officer's check consults the gravity
    matrix."""

    family: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    pass_facts: list[Name] = Field(description="Inputs of this policy handed to the other.")
    expose: dict[Name, str] = Field(
        description="Fact name → dotted path in the consulted decision, e.g. "
        "`outcome`, `derived.final_score`, `outcomes.youth_caution.available`.")


class Monotone(_Strict):
    """One step up in ``input`` (one more set member, the next integer, false → true)
    never gives a less severe outcome (``never_less_severe``) or never a more severe one."""

    input: Name
    direction: Literal["never_less_severe", "never_more_severe"] = "never_less_severe"


class Property(_Strict):
    """A promise about every case, proved exhaustively by ``decision-engine prove``.

    Either ``then`` must hold in every case where ``when`` holds (conditions may read
    inputs, derived facts, ``outcome`` and ``indicated``), or ``monotone`` holds in every
    case where ``when`` holds."""

    id: RuleId
    description: str = ""
    when: Condition = Field(default_factory=lambda: Always(always=True))
    then: Condition | None = None
    monotone: Monotone | None = None
    source: Source

    def conditions(self) -> list[Any]:
        return [c for c in (self.when, self.then) if c is not None]


class Policy(_Strict):
    """One version of one policy family: the root of a policy YAML file."""

    family: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    version: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
    title: str
    description: str = ""
    documents: dict[str, Document] = Field(min_length=1)
    outcomes: list[Name] = Field(min_length=1, description="Ordered least to most severe.")
    resolution: Resolution
    inputs: dict[Name, Input]
    monitoring: list[Name] = Field(
        default_factory=list,
        description="Protected characteristics recorded for disproportionality monitoring; "
        "never rule inputs.",
    )
    consults: dict[Name, Consult] = Field(default_factory=dict)
    parameters: dict[Name, Parameter] = Field(default_factory=dict)
    tables: dict[Name, Table] = Field(default_factory=dict)
    derived: dict[Name, Derived] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)
    outputs: dict[Name, Derived] = Field(
        default_factory=dict, description="Expressions evaluated after the outcome is resolved."
    )
    properties: list[Property] = Field(
        default_factory=list, description="Promises proved over every case (`decision-engine "
        "prove`); for approved versions they live in `<version>.properties.yaml` beside it.")


for _model in (AllOf, AnyOf, Not, Lookup, Clamp, IfThen, CountItems, SelectItems, MonthsBefore,
               WorkingDays, ExprAdd, ExprSub, ExprMin, ExprMax, ExprLookup, ExprClamp, ExprIf,
               ExprCount, ExprSelect, ExprMonthsBefore, ExprAddWorkingDays, ExprCondition,
               Derived, Rule, Property, Policy):
    _model.model_rebuild()
