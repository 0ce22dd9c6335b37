"""Case forms generated from a policy version's declared inputs, and read back.

enum → a select (or, for a long table such as offences, a text box searchable by name
through a datalist), set → checkboxes, bool → yes/no, int → number, date → date,
list → rows of item fields. A new policy version therefore needs no template change.
Reading the form back builds the same case JSON the API takes; every check is left to
the API's own validation so the page shows the API's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from decision_engine.policy.model import Input, ItemField, Policy
from decision_engine_api.problems import FieldError, ProblemError

LIST_ROWS = 8
"""Blank rows offered for a list input (e.g. offence history); blank rows are ignored."""
SEARCH_AT = 15
"""An enum with more values than this is a searchable text box, not a select."""


@dataclass
class Option:
    value: str
    label: str


@dataclass
class Field:
    name: str
    """Form name and anchor: ``facts.offence``."""
    label: str
    kind: str  # select, search, checkboxes, yesno, number, date, rows
    hint: str = ""
    optional: bool = False
    options: list[Option] = field(default_factory=list)
    minimum: int | None = None
    maximum: int | None = None
    columns: list[Field] = field(default_factory=list)
    rows: int = 0

    @property
    def anchor(self) -> str:
        return self.name.replace(".", "-")


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _options(policy: Policy, spec: Input | ItemField) -> list[Option]:
    if spec.from_table:
        table = policy.tables[spec.from_table]
        return [Option(k, str(row.get("title") or _label(k))) for k, row in table.rows.items()]
    return [Option(v, _label(v)) for v in spec.values or []]


def _scalar(policy: Policy, name: str, label: str, spec: Input | ItemField, hint: str,
            optional: bool) -> Field:
    kind = {"bool": "yesno", "int": "number", "date": "date"}.get(spec.type, "select")
    f = Field(name, label, kind, hint, optional, minimum=spec.min, maximum=spec.max)
    if spec.type == "enum":
        f.options = _options(policy, spec)
        if len(f.options) > SEARCH_AT:
            f.kind = "search"
    return f


def case_fields(policy: Policy) -> list[Field]:
    """The form for *policy*: the case's own fields, then one field per declared input
    (age is asked as date of birth or age, as the API does)."""
    fields = [
        Field("case_reference", "Case reference", "text",
              "Your system's reference (letters, digits, / _ . -). It is stored apart from "
              "the decision and never shown again."),
        Field("date_of_birth", "Date of birth", "date", "Or give the age below.", True),
        Field("age", "Age", "number", "Age on the decision date, if no date of birth.", True,
              minimum=10, maximum=17),
    ]
    for name, spec in policy.inputs.items():
        if name == "age":
            continue
        hint = spec.description + (" (recorded and shown; no rule reads it)"
                                   if spec.informs_only else "")
        key = f"facts.{name}"
        if spec.type == "set":
            fields.append(Field(key, _label(name), "checkboxes", hint, True,
                                options=_options(policy, spec)))
        elif spec.type == "list":
            columns = [Field("id", "Reference", "text", "", True)]
            columns += [_scalar(policy, n, _label(n), s, "", False)
                        for n, s in (spec.items or {}).items()]
            fields.append(Field(key, _label(name), "rows", hint, True, columns=columns,
                                rows=min(spec.max_items or LIST_ROWS, LIST_ROWS)))
        else:
            fields.append(_scalar(policy, key, _label(name), spec, hint,
                                  spec.optional or spec.default is not None))
    return fields


def _int(name: str, raw: str, errors: list[FieldError]) -> int | None:
    try:
        return int(raw.strip())
    except ValueError:
        errors.append(FieldError(field=f"body.case.{name}", detail="expected a whole number"))
        return None


def _value(f: Field, name: str, raw: str, errors: list[FieldError]) -> Any:
    if f.kind == "yesno":
        return {"yes": True, "no": False}.get(raw, raw)
    if f.kind == "number":
        return _int(name, raw, errors)
    return raw.strip()


def read_case(fields: list[Field], form: FormData) -> dict[str, Any]:
    """The case JSON the API takes, from a posted form (blank fields left out)."""
    errors: list[FieldError] = []
    case: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkboxes":
            facts[f.name.removeprefix("facts.")] = [str(v) for v in form.getlist(f.name)]
            continue
        if f.kind == "rows":
            items = []
            for i in range(f.rows):
                item = {c.name: _value(c, f"{f.name}.{i}.{c.name}", raw, errors)
                        for c in f.columns
                        if (raw := str(form.get(f"{f.name}.{i}.{c.name}") or "")).strip()}
                if item:
                    items.append(item)
            facts[f.name.removeprefix("facts.")] = items
            continue
        raw = str(form.get(f.name) or "")
        if not raw.strip():
            continue
        value = _value(f, f.name, raw, errors)
        if f.name.startswith("facts."):
            facts[f.name.removeprefix("facts.")] = value
        else:
            case[f.name] = value
    if errors:
        raise ProblemError(422, "invalid-input", "Invalid input",
                           f"{errors[0].field}: {errors[0].detail}", errors)
    case["facts"] = facts
    return case
