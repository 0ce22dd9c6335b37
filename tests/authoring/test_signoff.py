"""verify-row: a local sign-off of an unverified row or parameter replaces its warning in
decisions dated from its effective_from (format 3 on), never touches the policy file, is
pinned and append-only, and cannot reach a decision already recorded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decision_engine.authoring.render import render
from decision_engine.authoring.signoff import write_signoff
from decision_engine.cli.main import app
from decision_engine.engine.service import Engine
from decision_engine.errors import PolicyError
from decision_engine.policy.registry import Registry

FACTS = {"offence": "theft_from_shop", "age": 15, "sufficient_evidence": True,
         "admission": "admitted"}
ROW = "offences/theft_from_shop"
SIGNED, FROM = dt.date(2026, 1, 10), dt.date(2026, 2, 1)
VERSION = Registry.load().select("gravity-matrix", FROM).version
"""The gravity-matrix version that decides on FROM (an approved revision may supersede
the original on its dates)."""




def _sign(root: Path, target: str = ROW, **kw: object) -> None:
    args: dict[str, object] = {"by": "A Checker", "document": "NPCC Child Gravity Matrix "
                               "(printed copy)", "page": "p. 4", "signed_on": SIGNED,
                               "effective_from": FROM}
    args.update(kw)
    write_signoff(root, "gravity-matrix", VERSION, target, **args)  # type: ignore[arg-type]


def _row_warnings(decision: object) -> list[str]:
    return [w for w in decision.warnings if "'theft_from_shop'" in w]  # type: ignore[attr-defined]


def test_a_signoff_replaces_the_warning_from_its_date_on(root: Path) -> None:
    before = Engine(Registry.load(root))
    day_before, day_of = FROM - dt.timedelta(days=1), FROM
    old = before.evaluate("gravity-matrix", FACTS, day_of)
    assert _row_warnings(old)
    policy_file = root / Registry.load(root).get("gravity-matrix", VERSION).entry.file
    policy_bytes = policy_file.read_bytes()
    _sign(root)
    assert policy_file.read_bytes() == policy_bytes
    engine = Engine(Registry.load(root))
    signed = engine.evaluate("gravity-matrix", FACTS, day_of)
    assert not _row_warnings(signed)
    assert len(signed.warnings) == len(old.warnings) - 1
    prov = next(p for p in signed.provenance if p.name == ROW)
    assert prov.verified is False  # still unverified nationally
    assert prov.signed_off is not None and "A Checker" in prov.signed_off and "p. 4" in \
        prov.signed_off
    data = json.loads(signed.canonical_json())
    assert next(p for p in data["provenance"] if p["name"] == ROW)["signed_off"] == \
        prov.signed_off
    # every other provenance entry has no signed_off member at all (bytes as before)
    assert all("signed_off" not in p for p in data["provenance"] if p["name"] != ROW)
    # a day earlier, and in format 2 (what older recorded decisions replay in), unchanged
    assert engine.evaluate("gravity-matrix", FACTS, day_before).canonical_json() == \
        before.evaluate("gravity-matrix", FACTS, day_before).canonical_json()
    assert engine.evaluate("gravity-matrix", FACTS, day_of, fmt=2).canonical_json() == \
        before.evaluate("gravity-matrix", FACTS, day_of, fmt=2).canonical_json()


def test_a_parameter_can_be_signed_off_and_shows_in_the_rendered_policy(root: Path) -> None:
    reg = Registry.load(root)
    policy = reg.get("gravity-matrix", VERSION).policy
    name = next(n for n, p in policy.parameters.items() if not p.verified)
    _sign(root, f"param:{name}")
    _sign(root)
    reg = Registry.load(root)
    text = render(reg.get("gravity-matrix", VERSION), "md",
                  signoffs=reg.signoffs.for_version("gravity-matrix", VERSION))
    assert text.count("signed off locally: signed off locally by A Checker") == 2


@pytest.mark.parametrize(("target", "kw", "code"), [
    (ROW, {"effective_from": SIGNED + dt.timedelta(days=1)}, "too-early"),
    ("offences/no_such_offence", {}, "unknown-target"),
    ("param:no_such_parameter", {}, "unknown-target"),
])
def test_a_bad_signoff_is_refused_with_its_line_and_nothing_changes(
        root: Path, target: str, kw: dict[str, object], code: str) -> None:
    with pytest.raises(PolicyError) as err:
        _sign(root, target, **kw)
    assert code in str(err.value) and "signoffs.yaml:" in str(err.value)
    assert not (root / "signoffs.yaml").exists()


def test_signing_off_twice_or_editing_an_entry_fails_loading(root: Path) -> None:
    _sign(root)
    with pytest.raises(PolicyError, match="duplicate-signoff"):
        _sign(root)
    path = root / "signoffs.yaml"
    path.write_text(path.read_text().replace("p. 4", "p. 5"))
    with pytest.raises(PolicyError, match="entry-hash-mismatch"):
        Registry.load(root)


def test_verify_row_cli_appends_a_pinned_entry_effective_two_days_on(root: Path) -> None:
    env = {"DECISION_ENGINE_POLICY_ROOT": str(root)}
    out = CliRunner().invoke(app, ["verify-row", "gravity-matrix", VERSION, ROW,
                                   "--by", "A Checker", "--document", "Printed matrix",
                                   "--page", "p. 4"], env=env)
    assert out.exit_code == 0, out.output
    start = dt.date.today() + dt.timedelta(days=2)
    assert f"in effect for decisions from {start.isoformat()}" in out.output
    text = (root / "signoffs.yaml").read_text()
    assert text.startswith("# Local sign-offs") and "entry_sha256:" in text
    again = CliRunner().invoke(app, ["verify-row", "gravity-matrix", VERSION, ROW,
                                     "--by", "B", "--document", "D", "--page", "1"], env=env)
    assert again.exit_code == 2 and "duplicate-signoff" in again.output
    assert (root / "signoffs.yaml").read_text() == text
