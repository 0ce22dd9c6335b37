"""Policy tests: YAML cases beside each policy (``rules/<family>/tests/*.yaml``), in the
style of OpenFisca's and OPA's tests, that a policy maintainer can read and write.

A test file::

    family: gravity-matrix
    tests:
      - name: no-comment robbery, minor role
        date: 2024-05-01            # the decision date
        version: npcc-2023          # optional: run this version (drafts only when named)
        case: {case_reference: T-1, age: 15, facts: {offence: robbery, ...}}
        expect:
          outcome: community_resolution     # every key optional
          indicated: charge
          version: npcc-2023                # the version the date selects
          rules_fired: [band-5-charge, ...] # exactly these rules, any order
          outputs: {...}                    # these outputs (others unchecked)
          flags: [...]                      # exactly these flags
          variant: outcome_22_diversion
          error: "facts.offence"            # or: the case is refused naming this field

Cases run through durable-rules (the execution core), as a decision would.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from decision_engine.engine import Decision
from decision_engine.engine.service import Engine
from decision_engine.errors import DecisionEngineError, InputError, Location, PolicyError
from decision_engine.policy.loader import load_yaml_file, locate, validate
from decision_engine.policy.registry import Registry


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    outcome: str | None = None
    indicated: str | None = None
    version: str | None = None
    rules_fired: list[str] | None = None
    outputs: dict[str, Any] | None = None
    flags: list[str] | None = None
    variant: str | None = None
    error: str | None = Field(default=None, description="The case is refused; the error "
                              "names this field.")


class PolicyTest(_Strict):
    name: str = Field(min_length=1)
    date: dt.date
    version: str | None = None
    case: dict[str, Any]
    expect: Expect


class TestFile(_Strict):
    family: str
    tests: list[PolicyTest] = Field(min_length=1)


@dataclass
class Result:
    file: str
    line: int
    family: str
    name: str
    version: str | None
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures

    def report(self) -> str:
        where = f"{self.file}:{self.line}"
        ran = f" [{self.version}]" if self.version else ""
        if self.ok:
            return f"PASS  {where}  {self.name}{ran}"
        return f"FAIL  {where}  {self.name}{ran}\n" + "\n".join(
            f"        {f}" for f in self.failures)


def policy_test_files(root: Path, family: str | None = None) -> list[Path]:
    base = root / "rules"
    dirs = [base / family / "tests"] if family else sorted(base.glob("*/tests"))
    return [p for d in dirs for p in sorted(d.glob("*.yaml"))]


def compare(expect: Expect, d: Decision) -> list[str]:
    """Each expectation the decision does not meet, in words."""
    out = []
    checks: list[tuple[str, Any, Any]] = [
        ("outcome", expect.outcome, d.outcome), ("indicated", expect.indicated, d.indicated),
        ("version", expect.version, d.policy.version), ("variant", expect.variant, d.variant)]
    for name, want, got in checks:
        if want is not None and want != got:
            out.append(f"{name}: expected {want}, got {got}")
    if expect.rules_fired is not None:
        fired = [r.rule for r in d.reasons]
        missing = sorted(set(expect.rules_fired) - set(fired))
        extra = sorted(set(fired) - set(expect.rules_fired))
        if missing or extra:
            out.append(f"rules fired: missing {missing or '-'}, unexpected {extra or '-'}")
    if expect.flags is not None and sorted(expect.flags) != sorted(d.flags):
        out.append(f"flags: expected {sorted(expect.flags)}, got {sorted(d.flags)}")
    for key, want in (expect.outputs or {}).items():
        got = d.outputs.get(key, "(absent)")
        if _plain(want) != got:
            out.append(f"outputs.{key}: expected {want!r}, got {got!r}")
    return out


def _plain(v: Any) -> Any:
    return json.loads(json.dumps(v, default=lambda x: x.isoformat()))


def run_file(engine: Engine, path: Path, display: str,
             versions: set[str] | None = None) -> list[Result]:
    """Run one test file. A malformed file raises PolicyError (file:line)."""
    _, tree = load_yaml_file(path, display)
    spec = validate(TestFile, tree, display)
    results = []
    for i, t in enumerate(spec.tests):
        line = locate(tree, ("tests", i), display).line
        try:
            pv = engine.registry.select(spec.family, t.date, t.version)
        except DecisionEngineError as exc:
            results.append(Result(display, line, spec.family, t.name, t.version, [str(exc)]))
            continue
        if versions is not None and pv.version not in versions:
            continue
        failures: list[str]
        try:
            _, d = engine.decide(spec.family, t.case, t.date, t.version)
        except InputError as exc:
            want = t.expect.error
            ok = want is not None and (exc.field == want or exc.field.startswith(want + "."))
            failures = [] if ok else [f"case refused: {exc}"]
        else:
            failures = compare(t.expect, d)
            if t.expect.error is not None:
                failures.insert(0, f"expected the case to be refused ({t.expect.error}), "
                                f"got outcome {d.outcome}")
        results.append(Result(display, line, spec.family, t.name, pv.version, failures))
    return results


def run_family(registry: Registry, family: str | None = None,
               versions: set[str] | None = None) -> list[Result]:
    """Every test of a family (or all families); ``versions`` keeps only cases that run
    those versions (approval runs the draft's own tests)."""
    engine = Engine(registry)
    results = []
    for path in policy_test_files(registry.root, family):
        results += run_file(engine, path, str(path.relative_to(registry.root)), versions)
    return results


# -- generating tests from the examples ---------------------------------------------------


def _candidate_dates(registry: Registry, family: str, case: dict[str, Any]) -> Iterable[dt.date]:
    if "decision_date" in case:
        yield dt.date.fromisoformat(str(case["decision_date"]))
        return
    for pv in sorted(registry.versions(family), key=lambda v: v.entry.effective_from,
                     reverse=True):
        if pv.entry.status == "approved":
            yield pv.entry.effective_from


def from_examples(registry: Registry, family: str) -> dict[str, Any]:
    """A test file recording what each example under examples/<family>/ decides today:
    a snapshot a maintainer reviews, commits, and from then on must keep passing."""
    engine = Engine(registry)
    tests = []
    for path in sorted((registry.root / "examples" / family).glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        for day in _candidate_dates(registry, family, case):
            # an example is the API's request body {"case": …, "decision_date": …} (or,
            # written before that, a bare case with its date beside the facts)
            body = (case["case"] if isinstance(case.get("case"), dict)
                    else {k: v for k, v in case.items() if k != "decision_date"})
            try:
                _, d = engine.decide(family, body, day)
            except DecisionEngineError:
                continue
            expect: dict[str, Any] = {"outcome": d.outcome, "indicated": d.indicated,
                                      "version": d.policy.version,
                                      "rules_fired": [r.rule for r in d.reasons],
                                      "flags": list(d.flags)}
            if d.variant:
                expect["variant"] = d.variant
            if d.outputs:
                expect["outputs"] = dict(d.outputs)
            tests.append({"name": f"example {path.name}", "date": day, "case": body,
                          "expect": expect})
            break
        else:
            raise PolicyError(Location(f"examples/{family}/{path.name}"), "example",
                              "decides on none of the dates tried; give it a decision_date")
    return {"family": family, "tests": tests}


def write_tests(root: Path, family: str, name: str, spec: dict[str, Any]) -> Path:
    """Write a test file under rules/<family>/tests/ (block YAML a person can edit)."""
    from ruamel.yaml import YAML

    path = (root / "rules").resolve() / family / "tests" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.ignore_aliases = lambda *_: True
    with path.open("w", encoding="utf-8") as out:
        out.write(f"# Generated from examples/{family}/ by `decision-engine test {family} "
                  "--from-examples`,\n# then reviewed: a change in what an example decides "
                  "must be deliberate.\n")
        yaml.dump(spec, out)
    return path
