"""A policy version compiled once into everything evaluation needs.

Two compile targets come from the same YAML: a durable-rules ruleset (the execution
core) and Python predicates (a fast path for bulk replay, and a differential cross-check
of the first). Everything else — derived facts, resolution, reasons — is shared, so
the two can only differ in which rules matched, and the tests check they never do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from decision_engine.compiler.conditions import (
    DurableCompiler,
    Predicate,
    durable_field,
    facts_read,
    params_read,
    python_predicate,
)
from decision_engine.compiler.derive import Derive, derive_program
from decision_engine.compiler.expressions import Evaluator, ExpressionCompiler
from decision_engine.compiler.inputs import FactValidator
from decision_engine.policy import model as m

SENTINEL = "__evaluated__"
_SCALAR = (bool, int, str)


@dataclass(frozen=True)
class CompiledRule:
    index: int
    rule: m.Rule
    predicate: Predicate
    durable: dict[str, Any]
    reads: tuple[str, ...]
    params: tuple[str, ...]


@dataclass(frozen=True)
class CompiledPolicy:
    policy: m.Policy
    sha256: str
    file: str
    rules: tuple[CompiledRule, ...]
    derived: tuple[tuple[str, Evaluator], ...]
    """Each derived fact's closure: the definition ``derive`` is checked against."""
    derive: Derive
    """All derived facts in one generated function (``compiler.derive``)."""
    outputs: tuple[tuple[str, Evaluator], ...]
    set_members: tuple[tuple[str, tuple[str, ...]], ...]
    message_facts: tuple[str, ...]
    validate: FactValidator
    parameter_values: dict[str, Any]
    table_inputs: tuple[tuple[str, str], ...]
    memo: dict[str, object] = field(default_factory=dict, compare=False)
    """Per-version caches owned by later stages (e.g. the engine's explainer)."""
    message_fields: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    """``message_facts`` with each one's durable-rules field name, worked out once."""
    member_fields: tuple[tuple[str, dict[str, str]], ...] = field(default=(), compare=False)
    """``set_members`` with each member's durable-rules field name, worked out once."""

    @property
    def family(self) -> str:
        return self.policy.family

    @property
    def version(self) -> str:
        return self.policy.version

    def durable_ruleset(self) -> dict[str, Any]:
        """The ruleset definition handed to durable-rules.

        The sentinel rule matches every case. It keeps durable-rules off its "message
        not handled" path, which was measured to corrupt the heap after delete_state.
        """
        rules: dict[str, Any] = {
            f"r{r.index}": {"all": [{"m": r.durable}]} for r in self.rules
        }
        rules[SENTINEL] = {"all": [{"m": {"$ex": {"__case__": 1}}}]}
        return rules

    def durable_message(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """The facts rules read, as scalar fields; a set contributes one ``true`` field per
        member present (absent members are tested with ``$nex``)."""
        msg: dict[str, Any] = {"__case__": 1}
        get = facts.get
        for name, key in self.message_fields:
            value = get(name)
            if isinstance(value, _SCALAR):  # list-valued derived facts stay out
                msg[key] = value
        for name, fields in self.member_fields:
            for member in get(name) or ():
                msg[fields.get(member) or durable_field(name, member)] = True
        return msg


def compile_policy(policy: m.Policy, sha256: str, file: str) -> CompiledPolicy:
    durable = DurableCompiler(policy)
    exprs = ExpressionCompiler(policy)
    rules = tuple(
        CompiledRule(
            index=i,
            rule=rule,
            predicate=python_predicate(rule.when, policy.parameters),
            durable=durable.compile(rule.when),
            reads=tuple(facts_read(rule.when)),
            params=tuple(params_read(rule.when)),
        )
        for i, rule in enumerate(policy.rules)
    )
    read = {name for r in rules for name in r.reads}
    set_members = []
    for name, inp in policy.inputs.items():
        if inp.type == "set" and name in read:
            members = list(policy.tables[inp.from_table].rows) if inp.from_table else list(
                inp.values or [])
            set_members.append((name, tuple(members)))
    scalars = [n for n, i in policy.inputs.items() if i.type not in ("set", "list")]
    for consult in policy.consults.values():
        scalars.extend(consult.expose)
    scalars.extend(policy.derived)
    message_facts = [name for name in scalars if name in read]
    return CompiledPolicy(
        policy=policy,
        sha256=sha256,
        file=file,
        rules=rules,
        derived=tuple((n, exprs.compile(d.expr)) for n, d in policy.derived.items()),
        derive=derive_program(policy)[0],
        outputs=tuple((n, exprs.compile(d.expr)) for n, d in policy.outputs.items()),
        set_members=tuple(set_members),
        message_facts=tuple(message_facts),
        message_fields=tuple((n, durable_field(n)) for n in message_facts),
        member_fields=tuple((n, {v: durable_field(n, v) for v in members})
                            for n, members in set_members),
        validate=FactValidator(policy),
        parameter_values={k: p.value for k, p in policy.parameters.items()},
        table_inputs=tuple((n, i.from_table) for n, i in policy.inputs.items()
                           if i.from_table is not None),
    )
