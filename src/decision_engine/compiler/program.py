"""A policy version compiled once into everything evaluation needs.

Two compile targets come from the same YAML: a durable-rules ruleset (the execution
core) and Python predicates (a fast path for bulk replay, and a differential cross-check
of the first). Everything else — derived facts, resolution, reasons — is shared, so
the two can only differ in which rules matched, and the tests check they never do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from decision_engine.compiler.conditions import (
    EVERY_CASE,
    DurableCompiler,
    Predicate,
    facts_read,
    params_read,
    python_predicate,
)
from decision_engine.compiler.derive import Derive, Outputs, derive_program, outputs_program
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
    """Each output's closure: the definition ``compute_outputs`` is checked against."""
    compute_outputs: Outputs
    """All outputs in one generated function (``compiler.derive``)."""
    validate: FactValidator
    message: Callable[[Mapping[str, Any]], dict[str, Any]]
    """A case as the durable-rules message: the facts rules read, as scalar fields; a set
    contributes one ``true`` field per member present (absent members are tested with
    ``$nex``). Generated once (:func:`message_program`)."""
    parameter_values: dict[str, Any]
    table_inputs: tuple[tuple[str, str], ...]
    memo: dict[str, object] = field(default_factory=dict, compare=False)
    """Per-version caches owned by later stages (e.g. the engine's explainer)."""

    @property
    def family(self) -> str:
        return self.policy.family

    @property
    def version(self) -> str:
        return self.policy.version

    @property
    def sentinel(self) -> int | None:
        """The index of a rule that matches every case (``when: always``), if one exists:
        it serves as the sentinel, and no rule is added for that."""
        return next((r.index for r in self.rules if r.durable == EVERY_CASE), None)

    def durable_ruleset(self) -> dict[str, Any]:
        """The ruleset definition handed to durable-rules.

        A rule that matches every case always fires: it keeps durable-rules off its
        "message not handled" path, which was measured to corrupt the heap after
        delete_state, and its firing shows durable-rules evaluated the case. The policy's
        own ``always`` rule when it has one (one action fewer per case), else the
        sentinel rule.
        """
        rules: dict[str, Any] = {
            f"r{r.index}": {"all": [{"m": r.durable}]} for r in self.rules
        }
        if self.sentinel is None:
            rules[SENTINEL] = {"all": [{"m": EVERY_CASE}]}
        return rules


def message_program(message_fields: tuple[tuple[str, str], ...],
                    member_fields: tuple[tuple[str, dict[str, str]], ...],
                    ) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """The durable-rules message of a case, straight-line: each scalar fact rules read
    (a list-valued derived fact stays out), then one ``true`` field per set member
    present that a rule reads. Names reach the source only as ``repr`` literals."""
    lines = ["def message(facts):", "    get = facts.get", "    msg = {'__case__': 1}"]
    for name, key in message_fields:
        lines.append(f"    v = get({name!r})")
        lines.append(f"    if isinstance(v, _SCALAR): msg[{key!r}] = v")
    namespace: dict[str, Any] = {"_SCALAR": _SCALAR}
    for i, (name, fields) in enumerate(member_fields):
        namespace[f"M{i}"] = fields
        lines.append(f"    for member in get({name!r}) or ():")
        lines.append(f"        if (key := M{i}.get(member)) is not None: msg[key] = True")
    lines.append("    return msg")
    exec(compile("\n".join(lines) + "\n", "<durable message>", "exec"), namespace)
    message: Callable[[Mapping[str, Any]], dict[str, Any]] = namespace["message"]
    return message


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
    scalars = [n for n, i in policy.inputs.items() if i.type not in ("set", "list")]
    for consult in policy.consults.values():
        scalars.extend(consult.expose)
    scalars.extend(policy.derived)
    message_fields = tuple((n, durable.field(n)) for n in scalars if n in read)
    # each set a rule reads, with the field of every member some rule tests (`has`)
    member_fields = tuple((n, {v: key for (fact, v), key in durable.fields.items()
                               if fact == n and v is not None})
                          for n, i in policy.inputs.items() if i.type == "set" and n in read)
    return CompiledPolicy(
        policy=policy,
        sha256=sha256,
        file=file,
        rules=rules,
        derived=tuple((n, exprs.compile(d.expr)) for n, d in policy.derived.items()),
        derive=derive_program(policy)[0],
        outputs=tuple((n, exprs.compile(d.expr)) for n, d in policy.outputs.items()),
        compute_outputs=outputs_program(policy)[0],
        message=message_program(message_fields, member_fields),
        validate=FactValidator(policy),
        parameter_values={k: p.value for k, p in policy.parameters.items()},
        table_inputs=tuple((n, i.from_table) for n, i in policy.inputs.items()
                           if i.from_table is not None),
    )
