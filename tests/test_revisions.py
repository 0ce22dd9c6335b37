"""Revisions (issue 9): a corrected encoding of a published policy supersedes it for new
decisions on its dates, while decisions recorded under the superseded version, and the
versions a decision consulted, still replay byte for byte."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from decision_engine.audit import AccessContext, RecordFilter, ReplayOptions, open_store, replay
from decision_engine.engine import decide, evaluate
from decision_engine.policy.registry import Registry, bundled_root

ACCESS = AccessContext("auditor", "a-1", "*", "revision replay check")
ROBBERY = {"case_reference": "T-REV-1", "age": 15,
           "facts": {"offence": "robbery", "sufficient_evidence": True,
                     "admission": "no_comment"}}
SHOPLIFTING = {"offence": "theft_from_shop", "age": 15, "sufficient_evidence": True,
               "admission": "admitted"}
# the court officer's check of a band-1 shoplifting (tests/policies/test_oocd_pathways.py)
CHECK = {**SHOPLIFTING, "never_charged_before": False, "considered": ["community_resolution"],
         "charging_decision_by": "police", "joint_decision_recorded": True,
         "departure_rationale_recorded": True, "cif_completed": False, "care_status": "none",
         "first_time_entrant": False}


def _before_revisions(tmp_path: Path) -> Path:
    """The bundled policies as they were before any revision was registered: every entry
    with `supersedes` removed (approved entries are never edited, so the rest is as it
    was)."""
    root = tmp_path / "before"
    root.mkdir()
    shutil.copytree(bundled_root() / "rules", root / "rules")
    text = (bundled_root() / "policies.yaml").read_text()
    entries = re.split(r"(?m)^(?=      - version: |  [a-z-]+:\n)", text)
    kept = [e for e in entries if "\n        supersedes: " not in e]
    assert len(kept) < len(entries)
    (root / "policies.yaml").write_text("".join(kept))
    return root


@pytest.mark.parametrize(("day", "published"), [
    (dt.date(2020, 6, 1), "acpo-2013"), (dt.date(2024, 5, 1), "npcc-2023"),
    (dt.date(2026, 3, 1), "npcc-2025")])
def test_the_revision_is_selected_on_its_dates(day: dt.date, published: str) -> None:
    registry = Registry.load(bundled_root())
    revision = f"{published}-r2"
    assert registry.get("gravity-matrix", revision).entry.supersedes == published
    assert registry.select("gravity-matrix", day).version == revision
    assert registry.current("gravity-matrix", published) == revision
    # the superseded version is still approved, pinned and runs when named
    old = registry.select("gravity-matrix", day, published)
    assert old.entry.status == "approved" and old.entry.entry_sha256


def test_recorded_decisions_replay_under_the_revision_they_were_made_with(
        tmp_path: Path) -> None:
    before = Registry.load(_before_revisions(tmp_path))
    now = Registry.load(bundled_root())
    made = [
        decide("gravity-matrix", ROBBERY, dt.date(2024, 5, 1), registry=before),
        # the court officer's check consults the gravity matrix in force: npcc-2025 then
        decide("oocd-pathways", {"case_reference": "T-REV-2", "age": 15, "facts": {
            k: v for k, v in CHECK.items() if k != "age"}},
            dt.date(2025, 6, 1), registry=before),
    ]
    assert made[0][1].policy.version == "npcc-2023"
    assert [p.name for p in made[1][1].provenance if p.kind == "policy"] == [
        "gravity-matrix@npcc-2025"]
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with open_store(url) as store:
        for subject, decision in made:
            store.append_decision(decision, subject, actor_role="officer", actor_id="o",
                                  service_area="north")
        report = replay(store, RecordFilter(), ReplayOptions(
            policies_root=str(bundled_root())), ACCESS, progress=False)
    assert (report.selected, report.reproduced, report.differs, report.errors) == (2, 2, 0, 0)

    # New decisions on the same dates take the revisions, consulted ones included...
    assert decide("gravity-matrix", ROBBERY, dt.date(2024, 5, 1),
                  registry=now)[1].policy.version == "npcc-2023-r2"
    facts = CHECK
    fresh = evaluate("oocd-pathways", facts, dt.date(2025, 6, 1), registry=now)
    assert [p.name for p in fresh.provenance if p.kind == "policy"] == [
        "gravity-matrix@npcc-2025-r2"]
    # ...which is why replay must pin the consulted version: re-selected by date, the
    # recorded check would not reproduce (its provenance names npcc-2025).
    pinned = evaluate("oocd-pathways", facts, dt.date(2025, 6, 1), "cif-2025", registry=now,
                      pins={"gravity-matrix": "npcc-2025"})
    assert pinned.canonical_json() == made[1][1].canonical_json()
    assert pinned.canonical_json() != fresh.canonical_json()


def test_a_band_1_decision_under_a_revision_warns_that_its_outcome_is_unverified() -> None:
    registry = Registry.load(bundled_root())
    for day in (dt.date(2024, 5, 1), dt.date(2026, 3, 1)):
        d = evaluate("gravity-matrix", SHOPLIFTING, day, registry=registry)
        assert d.outcome == "no_further_action"
        assert any(w.startswith("rests on an unverified parameter: band_1_outcome")
                   for w in d.warnings), d.warnings
        band = next(r for r in d.reasons if r.rule == "band-1-no-further-action")
        assert "not verified" in band.text and band.source.document == "S1"
        # without sufficient evidence the evidential gate decides: no band-1 warning
        gate = evaluate("gravity-matrix", {**SHOPLIFTING, "sufficient_evidence": False},
                        day, registry=registry)
        assert not any("band_1_outcome" in w for w in gate.warnings)
        assert "band-1-no-further-action" not in {r.rule for r in gate.reasons}


def test_the_2025_joint_decision_threshold_is_an_unverified_parameter() -> None:
    registry = Registry.load(bundled_root())
    d = evaluate("gravity-matrix", {**SHOPLIFTING, "offence": "burglary_dwelling"},
                 dt.date(2026, 3, 1), registry=registry)
    assert "joint_decision_required" in d.flags
    assert any(w.startswith("rests on an unverified parameter: joint_decision_min_score = 4")
               for w in d.warnings), d.warnings
    below = evaluate("gravity-matrix", {**SHOPLIFTING, "offence": "affray"},
                     dt.date(2026, 3, 1), registry=registry)
    assert "joint_decision_required" not in below.flags


@pytest.mark.parametrize("day", [dt.date(2020, 6, 1), dt.date(2024, 5, 1),
                                 dt.date(2026, 3, 1)])
def test_an_appropriate_adult_at_17_is_advised_on_guidance_not_required(day: dt.date) -> None:
    registry = Registry.load(bundled_root())
    offence = "common_assault" if day.year < 2023 else "affray"  # a youth caution band
    at_17 = evaluate("gravity-matrix", {**SHOPLIFTING, "offence": offence, "age": 17}, day,
                     registry=registry)
    at_16 = evaluate("gravity-matrix", {**SHOPLIFTING, "offence": offence, "age": 16}, day,
                     registry=registry)
    assert at_17.outcome == at_16.outcome == "youth_caution"
    assert "appropriate_adult_advised" in at_17.flags
    assert "appropriate_adult_required" not in at_17.flags
    assert "appropriate_adult_required" in at_16.flags
    advised = next(r for r in at_17.reasons if r.rule == "appropriate-adult-at-17-guidance-only")
    assert "s.66ZA(2)" in advised.text and "withdrawn national guidance" in advised.text
    assert advised.source.document == "S22" and "not statute" in advised.source.section
    assert any("appropriate-adult-at-17-guidance-only" in w for w in at_17.warnings)
    required = next(r for r in at_16.reasons if r.rule == "youth-caution-appropriate-adult")
    assert "s.66ZA(2)" in required.text


def test_the_s66b_citations_are_corrected() -> None:
    registry = Registry.load(bundled_root())
    for version in ("acpo-2013-r2", "npcc-2023-r2", "npcc-2025-r2"):
        rules = {r.id: r for r in registry.get("gravity-matrix", version).policy.rules}
        assert rules["conditional-caution-needs-signed-consent"].source.section.startswith(
            "s.66B(6)")
        assert rules["conditional-caution-appropriate-adult"].source.section.startswith(
            "s.66B(5)")
