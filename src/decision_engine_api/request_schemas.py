"""Each family's request schema in the OpenAPI document, generated from its policy inputs.

``POST /v1/decisions/<family>`` accepts a body when *some* registered version of the
family accepts it: the version in force on the decision date (no ``policy_version``) or
the version the body names. The versions read different facts, so the schema is the
union the service accepts: ``anyOf`` one branch per (version, way of choosing it). Each
branch fixes

* ``policy_version``: absent or null (the version in force), or that version's name;
* ``decision_date``: the days that branch decides on, as a ``YYYY-MM-DD`` pattern
  (:mod:`.date_patterns`): the version's own days when it is chosen by date, any day when
  it is named; never after tomorrow (UTC, as the service), and only days on which every
  family it consults has a version in force that accepts the facts it passes on. Absent
  or null means today, so it may be left out only where today fits;
* ``case``: the version's case (:func:`case_schema`): its facts with their types,
  accepted values, bounds and which are required, the child's age within the version's
  bounds, and ``age`` or ``date_of_birth`` when the version reads the age.

What no JSON Schema can say is left to the service and documented (``docs/api.md``): the
child's age worked out from ``date_of_birth`` on the decision date must be within the
bounds (and match ``age`` when both are given). JSON Schema's ``integer`` admits
``11.0``, and so does the service (:func:`decision_engine.strict_json.whole_number`).

The schema is worked out for a day (``today``) and rebuilt when the day changes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from decision_engine.compiler.inputs import domain
from decision_engine.policy import model as m
from decision_engine.policy.registry import PolicyVersion, Registry
from decision_engine_api import date_patterns as dp

Schema = dict[str, Any]

ISO_DATE = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
NULL: Schema = {"type": "null"}
FIRST_DAY = dt.date(1, 1, 1)
CASE_REFERENCE = r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$"
"""As :class:`decision_engine.engine.service.Case` (a test keeps them equal)."""


def today() -> dt.date:
    """The day the document is worked out for (UTC, as the service's date checks)."""
    return dt.datetime.now(dt.UTC).date()


def component_name(family: str, version: str | None = None) -> str:
    """``GravityMatrixDecisionCreate``, ``GravityMatrixNpcc2025Case``."""
    words = re.split(r"[^A-Za-z0-9]+", family + ("-" + version if version else ""))
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, NULL]}


def _required(inp: m.Input) -> bool:
    return inp.default is None and not inp.optional


def _int(lo: int | None, hi: int | None) -> Schema:
    schema: Schema = {"type": "integer"}
    if lo is not None:
        schema["minimum"] = lo
    if hi is not None:
        schema["maximum"] = hi
    return schema


def _enum(values: list[str]) -> Schema:
    return {"type": "string", "enum": values}


def input_schema(policy: m.Policy, inp: m.Input) -> Schema:
    """What ``compiler.inputs.validate_facts`` accepts for one input (not null)."""
    schema: Schema
    if inp.type == "bool":
        schema = {"type": "boolean"}
    elif inp.type == "int":
        schema = _int(inp.min, inp.max)
    elif inp.type == "enum":
        schema = _enum(domain(policy, inp))
    elif inp.type == "set":
        schema = {"type": "array", "items": _enum(domain(policy, inp)), "uniqueItems": True}
    elif inp.type == "date":
        schema = dict(ISO_DATE)
    else:  # list of items
        fields = inp.items or {}
        item: Schema = {
            "type": "object", "additionalProperties": False, "required": list(fields),
            "properties": {"id": {"type": "string", "maxLength": 64},
                           **{name: _item_schema(policy, f) for name, f in fields.items()}}}
        schema = {"type": "array", "items": item}
        if inp.max_items is not None:
            schema["maxItems"] = inp.max_items
    if inp.description:
        schema["description"] = inp.description
    return schema


def _item_schema(policy: m.Policy, field: m.ItemField) -> Schema:
    if field.type == "bool":
        return {"type": "boolean"}
    if field.type == "int":
        return _int(field.min, field.max)
    if field.type == "enum":
        return _enum(domain(policy, field))
    return dict(ISO_DATE)


def facts_schema(pv: PolicyVersion) -> Schema:
    """The version's facts; ``age`` is not one (it comes from the case's age or date of
    birth). An input that is optional or has a default may be null (= not given)."""
    policy = pv.policy
    props: Schema = {}
    required: list[str] = []
    for name, inp in policy.inputs.items():
        if name == "age":
            continue
        schema = input_schema(policy, inp)
        if _required(inp):
            required.append(name)
            props[name] = schema
        else:
            props[name] = nullable(schema)
    out: Schema = {"type": "object", "additionalProperties": False, "properties": props,
                   "description": f"The facts {pv.family} {pv.version} reads "
                   "(`decision-engine inputs`)."}
    if required:
        out["required"] = required
    return out


def case_schema(pv: PolicyVersion, facts_ref: str) -> Schema:
    """A case under *pv*: as ``engine.service.Case``, with the version's facts and age."""
    age = pv.policy.inputs.get("age")
    props: Schema = {
        "case_reference": {"type": "string", "pattern": CASE_REFERENCE},
        "facts": {"$ref": facts_ref},
        "monitoring": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Protected characteristics for disproportionality "
                       "monitoring only; never rule inputs."},
    }
    out: Schema = {"type": "object", "additionalProperties": False,
                   "required": ["case_reference"], "properties": props}
    if age is None:  # the version reads no age: giving one is an unknown fact
        props["date_of_birth"] = NULL
        props["age"] = NULL
    else:
        props["date_of_birth"] = nullable({
            **ISO_DATE, "description": "The child's age on the decision date, worked out "
            "from it, must be within the bounds of `age`."})
        props["age"] = nullable({**_int(age.min, age.max),
                                 "description": "The child's age on the decision date."})
        if _required(age):
            out["anyOf"] = [{"required": ["age"], "properties": {"age": {"type": "integer"}}},
                            {"required": ["date_of_birth"],
                             "properties": {"date_of_birth": {"type": "string"}}}]
    if any(_required(i) for n, i in pv.policy.inputs.items() if n != "age"):
        out["required"].append("facts")
    return out


def _days(entry_from: dt.date, entry_to: dt.date | None) -> dp.Interval:
    return (entry_from, (entry_to - dt.timedelta(days=1)) if entry_to else dt.date.max)


def selected_days(registry: Registry, pv: PolicyVersion) -> list[dp.Interval]:
    """The days the date selects *pv*: its own dates, less those on which an approved
    revision superseding it is in force (issue 9: `supersedes`)."""
    if pv.entry.status != "approved":
        return []
    later = [registry.get(pv.family, v).entry for v in registry.superseders(pv.family,
                                                                             pv.version)]
    return dp.subtract([_days(pv.entry.effective_from, pv.entry.effective_to)],
                       [_days(e.effective_from, e.effective_to) for e in later])


def _passes(source: m.Policy, names: list[str], target: m.Policy) -> bool:
    """Whether every fact set *source* accepts, cut to *names*, is accepted by *target*."""
    for name, inp in target.inputs.items():
        mine = source.inputs.get(name)
        always_given = mine is not None and (_required(mine) or mine.default is not None)
        if _required(inp) and not (name in names and always_given):
            return False
    for name in names:
        given, theirs = source.inputs.get(name), target.inputs.get(name)
        if given is None:
            continue
        mine = given
        if theirs is None or mine.type != theirs.type:
            return False
        if mine.type in ("enum", "set") and not set(domain(source, mine)) <= set(
                domain(target, theirs)):
            return False
        if mine.type == "int" and not (
                (theirs.min is None or (mine.min is not None and mine.min >= theirs.min))
                and (theirs.max is None or (mine.max is not None and mine.max <= theirs.max))):
            return False
        if mine.type == "list" and mine.model_dump() != theirs.model_dump():
            return False
    return True


def consult_days(registry: Registry, pv: PolicyVersion,
                 seen: frozenset[str] = frozenset()) -> list[dp.Interval]:
    """The days on which each family *pv* consults has an approved version in force
    that accepts the facts *pv* passes on, and on which that version's own consults can
    be made (every day when it consults none)."""
    days = [(FIRST_DAY, dt.date.max)]
    for spec in pv.policy.consults.values():
        if spec.family in seen:  # a cycle: the checker refuses them; never loop
            return []
        fits = [interval for w in registry.versions(spec.family)
                if w.entry.status == "approved"
                and _passes(pv.policy, spec.pass_facts, w.policy)
                for interval in dp.intersect(
                    selected_days(registry, w),
                    consult_days(registry, w, seen | {pv.family}))]
        days = dp.intersect(days, fits)
    return days


def create_schema(registry: Registry, family: str, today: dt.date,
                  components: Schema) -> Schema:
    """The request schema of ``POST /v1/decisions/<family>``; adds each version's case
    and facts to *components* (``#/components/schemas``)."""
    latest = today + dt.timedelta(days=1)  # as routes.decisions._LATEST_DECISION_DAY
    branches: list[Schema] = []
    for pv in registry.versions(family):
        facts_name = component_name(family, pv.version) + "Facts"
        case_name = component_name(family, pv.version) + "Case"
        components[facts_name] = facts_schema(pv)
        components[case_name] = case_schema(pv, f"#/components/schemas/{facts_name}")
        possible = dp.intersect(consult_days(registry, pv), [(FIRST_DAY, latest)])
        ways: list[tuple[Schema, list[dp.Interval]]] = [
            ({"type": "string", "const": pv.version}, possible)]
        if pv.entry.status == "approved":
            ways.insert(0, (NULL, dp.intersect(possible, selected_days(registry, pv))))
        for version, days in ways:
            if not days:
                continue
            date: Schema = {**ISO_DATE, "pattern": dp.dates_pattern(days)}
            by_date = version is NULL
            branch: Schema = {
                "type": "object", "additionalProperties": False, "required": ["case"],
                "title": f"{pv.version}, " + ("in force on the decision date" if by_date
                                              else "named"),
                "properties": {"case": {"$ref": f"#/components/schemas/{case_name}"},
                               "policy_version": version, "decision_date": date}}
            if not by_date:
                branch["required"].append("policy_version")
            if any(a <= today <= b for a, b in days):
                branch["properties"]["decision_date"] = nullable(date)
            else:
                branch["required"].append("decision_date")
            branches.append(branch)
    return {"title": component_name(family) + "DecisionCreate", "anyOf": branches,
            "description": f"A {family} case with the day it is decided on: one branch per "
            "policy version, chosen by the decision date (the version then in force) or "
            "named in `policy_version`. `decision_date` defaults to today (UTC) and may be "
            "at most tomorrow. The child's age worked out from `date_of_birth` on the "
            "decision date must be within the version's bounds for `age`, which no "
            "schema can check."}


def _versions(registry: Registry, family: str | None = None) -> list[str]:
    families = [family] if family else registry.families()
    return sorted({pv.version for f in families for pv in registry.versions(f)})


def bulk_replay_schema(registry: Registry, base: Schema) -> Schema:
    """``POST /v1/replays``: *base* (the model's schema) with ``family`` one of the
    registered families and ``target_version`` one of that family's versions (only with
    a family)."""
    props = base["properties"]
    branches: list[Schema] = [{"properties": {"family": NULL, "target_version": NULL}}]
    for family in registry.families():
        branches.append({"required": ["family"], "properties": {
            "family": {"const": family},
            "target_version": nullable(_enum(_versions(registry, family)))}})
    return {**base, "title": "BulkReplayRequest",
            "properties": {**props, "family": nullable(_enum(registry.families()))},
            "anyOf": branches}


def refine(document: Schema, registry: Registry, today: dt.date) -> None:
    """Put the registry's families, versions, inputs and outcomes into the request
    schemas of *document* (FastAPI's, generated from the static pydantic models)."""
    components: Schema = document.setdefault("components", {}).setdefault("schemas", {})
    paths = document.get("paths", {})
    for family in registry.families():
        operation = paths.get(f"/v1/decisions/{family}", {}).get("post")
        if operation is None:
            continue
        name = component_name(family) + "DecisionCreate"
        components[name] = create_schema(registry, family, today, components)
        body = operation["requestBody"]
        body["required"] = True
        body["content"]["application/json"]["schema"] = {"$ref": f"#/components/schemas/{name}"}
    components.pop("DecisionCreate", None)
    components.pop("Case", None)
    outcomes = sorted({o for f in registry.families() for pv in registry.versions(f)
                       for o in pv.policy.outcomes})
    final = components.get("FinalCreate")
    if final is not None:
        final["properties"]["final_outcome"]["enum"] = outcomes
    replay = components.get("ReplayCreate")
    if replay is not None:
        replay["properties"]["target_version"] = nullable(_enum(_versions(registry)))
    report = paths.get("/v1/reports/{name}", {}).get("get")
    for parameter in (report or {}).get("parameters", []):
        if parameter["name"] == "family" and parameter["in"] == "query":
            parameter["schema"] = {**parameter["schema"],
                                   "anyOf": [_enum(registry.families()), NULL]}
    bulk = paths.get("/v1/replays", {}).get("post")
    if bulk is not None and "BulkReplayCreate" in components:
        components["BulkReplayRequest"] = bulk_replay_schema(
            registry, components["BulkReplayCreate"])
        bulk["requestBody"]["content"]["application/json"]["schema"] = {
            "$ref": "#/components/schemas/BulkReplayRequest"}
