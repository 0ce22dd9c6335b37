"""``decision-engine prove [FAMILY [VERSION]]``: check every declared property over the
whole reduced domain; print a minimal counterexample for each one that fails.

Exit codes: 0 all proved, 1 a property fails (or a version cannot be enumerated),
2 a usage or load error."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer

from decision_engine.cli.common import fail


def register(app: typer.Typer) -> None:
    app.command()(prove)


def prove(
    family: Annotated[str | None, typer.Argument(help="Policy family (default all).")] = None,
    version: Annotated[str | None, typer.Argument(help="Version (default all).")] = None,
    domains: Annotated[bool, typer.Option("--domains", help="Also show each input's "
                                          "classes and how they were derived.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Prove the properties of each version over every case of its reduced domain."""
    from decision_engine.authoring import domain as dom
    from decision_engine.authoring.prove import MAX_CASES, load_side
    from decision_engine.authoring.prove import prove as run
    from decision_engine.errors import DecisionEngineError
    from decision_engine.policy.registry import Registry

    try:
        registry = Registry.load()
        families = [family] if family else registry.families()
        targets = [pv for f in families for pv in registry.versions(f)
                   if version is None or pv.version == version]
        if version is not None and not targets:
            registry.get(families[0], version)
    except DecisionEngineError as exc:
        fail(str(exc))
    report: list[dict[str, Any]] = []
    failed = 0
    started = time.perf_counter()
    for pv in targets:
        t0 = time.perf_counter()
        try:
            policy, _, _ = load_side(pv.policy, pv.path)
            domain = dom.for_version(registry, pv.family, pv.version, policy,
                                     rules=dom.outcome_rules(policy), limit=MAX_CASES)
            proof = run(domain)
        except DecisionEngineError as exc:
            fail(str(exc))
        elapsed = time.perf_counter() - t0
        entry: dict[str, Any] = {
            "family": pv.family, "version": pv.version, "raw_cases": domain.raw,
            "reduced_cases": domain.size if not domain.refused else None,
            "refused": proof.refused, "seconds": round(elapsed, 3),
            "properties": [
                {"id": v.prop.id, "holds": v.holds, "cases": v.checked,
                 "source": v.prop.source.model_dump(),
                 "counterexample": None if v.counterexample is None else {
                     "case": v.counterexample.labels,
                     "facts": dict(v.counterexample.case.facts),
                     "decision_date": v.counterexample.case.day.isoformat(),
                     "outcome": v.counterexample.outcome, "step": v.counterexample.step}}
                for v in proof.verdicts],
            "inputs": [{"dimension": d.name, "raw": d.raw, "classes": len(d.classes),
                        "how": d.how} for d in (domain.dates[0].dims if domain.dates else [])],
        }
        report.append(entry)
        bad = [v for v in proof.verdicts if not v.holds]
        failed += len(bad) + (1 if proof.refused and policy.properties else 0)
        if as_json:
            continue
        raw = f"{domain.raw:,}" if domain.raw is not None else "unbounded"
        size = f"{domain.size:,}" if not domain.refused else "—"
        typer.echo(f"{pv.family} {pv.version}: raw domain {raw} cases, reduced {size} "
                   f"({len(domain.dates)} decision-date class(es)), {elapsed:.2f} s")
        if domains:
            for d in entry["inputs"]:
                typer.echo(f"    {d['dimension']:<32} {d['classes']:>5} classes of "
                           f"{d['raw'] if d['raw'] is not None else '∞'}  {d['how']}")
        if proof.refused:
            typer.echo(f"  not proved: {proof.refused}")
            continue
        if not proof.verdicts:
            typer.echo("  no properties declared")
        for v in proof.verdicts:
            for line in v.lines():
                typer.echo(f"  {line}")
    if as_json:
        typer.echo(json.dumps({"versions": report, "failing": failed,
                               "seconds": round(time.perf_counter() - started, 3)},
                              indent=2, ensure_ascii=False, default=str))
    else:
        typer.echo(f"{len(targets)} version(s) in {time.perf_counter() - started:.2f} s; "
                   f"{failed} failing")
    raise typer.Exit(1 if failed else 0)
