"""One bad-policy fixture per error: each message names file:line:column and a code."""

from __future__ import annotations

from pathlib import Path

import pytest

from decision_engine.errors import PolicyError
from decision_engine.policy.registry import load_policy_file

ROOT = Path(__file__).resolve().parents[1]
GOOD = (ROOT / "rules/gravity-matrix/npcc-2023.yaml").read_text()


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in GOOD, old
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace(old, new, 1))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def errors_for(path: Path) -> list[PolicyError]:
    with pytest.raises(PolicyError) as err:
        load_policy_file(path)
    return getattr(err.value, "errors", [err.value])


CASES = [
    # (code, old text, new text, the line the error must point at contains)
    ("yaml", "family: gravity-matrix", "family: gravity-matrix\nfamily: twice", "family: twice"),
    ("schema", "    priority: 10\n", "    priority: 10\n    priorty: 3\n", "priorty: 3"),
    ("unknown-fact", "when: {fact: final_score, eq: 5}", "when: {fact: finale_score, eq: 5}",
     "finale_score"),
    ("unknown-document", "source: {document: S1, section: \"score table, band 5\"}",
     "source: {document: S99, section: \"score table, band 5\"}", "S99"),
    ("out-of-domain", "when: {fact: admission, ne: admitted}",
     "when: {fact: admission, ne: confessed}", "confessed"),
    ("unknown-outcome", "indicate: charge", "indicate: prison", "indicate: prison"),
    ("protected-characteristic", "  age: {type: int",
     "  ethnicity_code: {type: enum, values: [a, b]}\n  age: {type: int", "ethnicity_code"),
    ("informs-only", "when: {fact: final_score, eq: 5}", "when: {fact: previous_disposals, gt: 2}",
     "previous_disposals, gt"),
    ("protected-characteristic", "when: {fact: final_score, eq: 5}",
     "when: {fact: ethnicity, eq: x}", "fact: ethnicity"),
    ("unknown-name", "is band 5: the child", "is band 5 for {name}: the child", "for {name}"),
    ("no-domain", "  age: {type: int, min: 10, max: 17,", "  age: {type: int,",
     "  age: {type: int,"),
    ("circular-rule", "    applies_if_outcome: [youth_caution]\n",
     "    applies_if_outcome: [youth_caution]\n    block: [charge]\n", "appropriate-adult"),
]


@pytest.mark.parametrize(("code", "old", "new", "needle"), CASES, ids=[c[0] for c in CASES])
def test_error_names_file_line_and_code(tmp_path: Path, code: str, old: str, new: str,
                                        needle: str) -> None:
    path = broken(tmp_path, old, new)
    errors = errors_for(path)
    matching = [e for e in errors if e.code == code]
    assert matching, [str(e) for e in errors]
    err = matching[0]
    assert err.location.file == str(path)
    expected = line_of(path, needle)
    # a rule-level error points at the rule's list item or key, within its few lines
    assert abs(err.location.line - expected) <= 6, (str(err), expected)
    assert str(err).startswith(f"{path}:{err.location.line}:")


def test_the_shipped_policies_have_no_errors() -> None:
    for path in sorted((ROOT / "rules").rglob("*.yaml")):
        if path.name.endswith(".properties.yaml") or "tests" in path.parts[-2:-1]:
            continue  # side files (properties, accepted findings) and policy tests
        load_policy_file(path)


def test_outputs_may_read_the_outcome_and_earlier_outputs(tmp_path: Path) -> None:
    import datetime as dt

    from decision_engine.compiler.program import compile_policy
    from decision_engine.engine.evaluation import evaluate_compiled
    from decision_engine.engine.matchers import FastMatcher

    path = tmp_path / "outputs.yaml"
    path.write_text(GOOD + """
outputs:
  is_caution:
    expr: {if: {when: {fact: outcome, in: [youth_caution, youth_conditional_caution]},
                then: true, else: false}}
  wording:
    expr: {if: {when: {fact: is_caution, eq: true}, then: "caution", else: "other"}}
""")
    policy, _ = load_policy_file(path)
    cp = compile_policy(policy, "0" * 64, str(path))
    d = evaluate_compiled(cp, {"offence": "assault_occasioning_abh", "age": 15,
                               "sufficient_evidence": True, "admission": "admitted"},
                          dt.date(2024, 1, 1), FastMatcher(cp))
    assert d.outcome == "youth_caution"
    assert d.outputs == {"is_caution": True, "wording": "caution"}


def test_rules_cannot_read_outputs(tmp_path: Path) -> None:
    path = broken(tmp_path, "when: {fact: final_score, eq: 5}", "when: {fact: outcome, eq: x}")
    assert any(e.code == "unknown-fact" for e in errors_for(path))
