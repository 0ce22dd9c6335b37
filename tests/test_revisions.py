"""Revisions (issue 9): a corrected encoding of a published policy supersedes it for new
decisions on its dates, while decisions recorded under the superseded version, and the
versions a decision consulted, still replay byte for byte."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

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


def record_and_replay(tmp_path: Path, made: list[tuple[Any, Any]]) -> tuple[int, ...]:
    """Record *made* (subject, decision) in a fresh store and replay them all:
    ``(selected, reproduced, differs, errors)``."""
    with open_store(f"sqlite:///{tmp_path / 'audit.db'}") as store:
        for subject, decision in made:
            store.append_decision(decision, subject, actor_role="officer", actor_id="o",
                                  service_area="north")
        report = replay(store, RecordFilter(), ReplayOptions(
            policies_root=str(bundled_root())), ACCESS, progress=False)
    return (report.selected, report.reproduced, report.differs, report.errors)


@pytest.mark.parametrize(("day", "published"), [
    (dt.date(2020, 6, 1), "acpo-2013"), (dt.date(2024, 5, 1), "npcc-2023"),
    (dt.date(2026, 3, 1), "npcc-2025")])
def test_the_revision_is_selected_on_its_dates(day: dt.date, published: str) -> None:
    registry = Registry.load(bundled_root())
    revision = f"{published}-r2"
    assert registry.get("gravity-matrix", revision).entry.supersedes == published
    # the date selects the last revision of the chain (r3 since issue 9 items 7 and 10)
    assert registry.select("gravity-matrix", day).version == registry.current(
        "gravity-matrix", published) == registry.current("gravity-matrix", revision)
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
    assert record_and_replay(tmp_path, made) == (2, 2, 0, 0)

    # New decisions on the same dates take the revisions, consulted ones included...
    assert decide("gravity-matrix", ROBBERY, dt.date(2024, 5, 1),
                  registry=now)[1].policy.version == now.current("gravity-matrix", "npcc-2023")
    facts = CHECK
    fresh = evaluate("oocd-pathways", facts, dt.date(2025, 6, 1), registry=now)
    assert [p.name for p in fresh.provenance if p.kind == "policy"] == [
        f"gravity-matrix@{now.current('gravity-matrix', 'npcc-2025')}"]
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


# --- r3 (issue 9 items 7 and 10): assessment for every caution, Enhanced Community
# Resolution, and readings that no longer call themselves local settings ---------------

R3 = {"acpo-2013": dt.date(2020, 6, 1), "npcc-2023": dt.date(2024, 5, 1),
      "npcc-2025": dt.date(2026, 3, 1)}


def _without_r3(tmp_path: Path) -> Path:
    """The bundled policies as they were before the r3 revisions: every entry that
    supersedes an r2 or an r3 removed."""
    root = tmp_path / "before-r3"
    root.mkdir()
    shutil.copytree(bundled_root() / "rules", root / "rules")
    text = (bundled_root() / "policies.yaml").read_text()
    entries = re.split(r"(?m)^(?=      - version: |  [a-z-]+:\n)", text)
    kept = [e for e in entries if not re.search(r"\n        supersedes: \S+-r[23]\n", e)]
    assert len(entries) - len(kept) == 6
    (root / "policies.yaml").write_text("".join(kept))
    return root


@pytest.mark.parametrize("published", sorted(R3))
def test_the_r3_revision_chains_back_and_r4_supersedes_it(published: str) -> None:
    registry = Registry.load(bundled_root())
    r2, r3, r4 = f"{published}-r2", f"{published}-r3", f"{published}-r4"
    assert registry.get("gravity-matrix", r3).entry.supersedes == r2
    assert registry.get("gravity-matrix", r4).entry.supersedes == r3
    assert registry.select("gravity-matrix", R3[published]).version == r4
    assert registry.select("gravity-matrix", R3[published], r3).version == r3
    assert registry.current("gravity-matrix", published) == r4
    assert registry.current("gravity-matrix", r2) == r4
    assert registry.select("gravity-matrix", R3[published], r2).entry.status == "approved"


def test_decisions_recorded_under_r2_replay_after_r3(tmp_path: Path) -> None:
    before = Registry.load(_without_r3(tmp_path))
    cases = [  # a youth caution, an admitted community resolution, a band-1 NFA
        {**SHOPLIFTING, "offence": "affray", "age": 16},
        {**SHOPLIFTING, "offence": "common_assault"},
        SHOPLIFTING]
    made = []
    for i, facts in enumerate(cases):
        for day in (R3["npcc-2023"], R3["npcc-2025"]):
            case = {"case_reference": f"T-REV3-{i}-{day.year}", "age": facts["age"],
                    "facts": {k: v for k, v in facts.items() if k != "age"}}
            made.append(decide("gravity-matrix", case, day, registry=before))
    assert {d.policy.version for _, d in made} == {"npcc-2023-r2", "npcc-2025-r2"}
    # the r2 wording for its readings is kept: recorded decisions carry it
    band_1 = made[-1][1]
    assert any(w.startswith("rests on an unverified parameter: band_1_outcome")
               and w.endswith("it is a local policy setting to confirm")
               for w in band_1.warnings)
    assert record_and_replay(tmp_path, made) == (len(made), len(made), 0, 0)


@pytest.mark.parametrize("published", sorted(R3))
def test_a_youth_caution_flags_the_yot_assessment_and_its_timings(published: str) -> None:
    registry = Registry.load(bundled_root())
    offence = "common_assault" if published == "acpo-2013" else "affray"  # band: YC
    facts = {**SHOPLIFTING, "offence": offence, "age": 16}
    first = evaluate("gravity-matrix", facts, R3[published], f"{published}-r3",
                     registry=registry)
    assert first.policy.version == f"{published}-r3"
    assert first.outcome == "youth_caution"
    assert "yot_assessment_required" in first.flags
    assert "statutory_yot_assessment" not in first.flags
    assert first.outputs["assessment_within_working_days"] == 10
    assert first.outputs["assessment_concluded_within_working_days"] == 15
    local = next(r for r in first.reasons if r.rule == "youth-caution-yot-assessment")
    assert local.source.document == "SEED-002" and "AssetPlus" in local.source.section
    assert "10 working days of referral" in local.text
    assert any(w.startswith("rests on an unverified parameter: assessment_working_days = 10")
               and "not a local setting" in w for w in first.warnings), first.warnings
    second = evaluate("gravity-matrix", {**facts, "youth_caution_before": True},
                      R3[published], f"{published}-r3", registry=registry)
    assert second.outcome == first.outcome  # never an escalator
    assert "statutory_yot_assessment" in second.flags
    duty = next(r for r in second.reasons
                if r.rule == "second-youth-caution-statutory-assessment")
    assert duty.source.document == "S18" and "s.66ZB" in duty.source.section
    assert any("second-youth-caution-statutory-assessment" in w for w in second.warnings)


def test_before_the_2019_20_plan_a_first_youth_caution_has_no_local_flag() -> None:
    registry = Registry.load(bundled_root())
    facts = {**SHOPLIFTING, "offence": "common_assault", "age": 16}
    d = evaluate("gravity-matrix", facts, dt.date(2018, 6, 1), "acpo-2013-r3",
                 registry=registry)
    assert (d.policy.version, d.outcome) == ("acpo-2013-r3", "youth_caution")
    assert "yot_assessment_required" not in d.flags
    plain = evaluate("gravity-matrix", SHOPLIFTING, dt.date(2018, 6, 1), registry=registry)
    assert (plain.outcome, plain.variant) == ("community_resolution", None)


@pytest.mark.parametrize("published", sorted(R3))
def test_an_admitted_community_resolution_is_enhanced_where_the_area_uses_it(
        published: str) -> None:
    registry = Registry.load(bundled_root())
    offence = "theft_from_shop" if published == "acpo-2013" else "common_assault"
    d = evaluate("gravity-matrix", {**SHOPLIFTING, "offence": offence}, R3[published],
                 f"{published}-r3", registry=registry)
    assert (d.outcome, d.variant) == ("community_resolution", "enhanced_community_resolution")
    assert "yot_assessment_required" in d.flags
    assert d.outputs["assessment_within_working_days"] == 10
    assert any(w.startswith("rests on an unverified parameter: "
                            "uses_enhanced_community_resolution")
               and w.endswith("it is a local policy setting to confirm") for w in d.warnings)
    ecr = next(r for r in d.reasons if r.rule == "enhanced-community-resolution")
    assert ecr.source.document == "SEED-002"
    # without an admission the informal route is Outcome 22, and the setting is not read
    o22 = evaluate("gravity-matrix", {**SHOPLIFTING, "offence": offence,
                                      "admission": "no_comment"}, R3[published],
                   f"{published}-r3", registry=registry)
    assert (o22.outcome, o22.variant) == ("community_resolution", "outcome_22_diversion")
    assert "yot_assessment_required" not in o22.flags
    assert o22.outputs["assessment_within_working_days"] == "not_applicable"
    assert not any("uses_enhanced_community_resolution" in w for w in o22.warnings)


def test_where_the_area_does_not_use_ecr_a_community_resolution_is_plain(
        tmp_path: Path) -> None:
    root = tmp_path / "local"
    root.mkdir()
    shutil.copytree(bundled_root() / "rules", root / "rules")
    text = (root / "rules/gravity-matrix/npcc-2025-r3.yaml").read_text()
    setting = "  uses_enhanced_community_resolution:\n    value: true\n"
    assert setting in text
    (root / "rules/gravity-matrix/local-no-ecr.yaml").write_text(
        text.replace("version: npcc-2025-r3\n", "version: local-no-ecr\n", 1)
        .replace(setting, setting.replace("true", "false")))
    registry_text = (bundled_root() / "policies.yaml").read_text()
    anchor = "      - version: npcc-2025\n"
    (root / "policies.yaml").write_text(registry_text.replace(anchor, (
        "      - version: local-no-ecr\n"
        "        file: rules/gravity-matrix/local-no-ecr.yaml\n"
        "        status: draft\n"
        "        effective_from: 2025-02-01\n") + anchor, 1))
    registry = Registry.load(root)
    d = evaluate("gravity-matrix", {**SHOPLIFTING, "offence": "common_assault"},
                 R3["npcc-2025"], "local-no-ecr", registry=registry)
    assert (d.outcome, d.variant) == ("community_resolution", None)
    assert "yot_assessment_required" not in d.flags
    assert d.outputs["assessment_within_working_days"] == "not_applicable"


@pytest.mark.parametrize("published", ["npcc-2023", "npcc-2025"])
def test_the_matrix_readings_warn_as_readings_not_local_settings(published: str) -> None:
    registry = Registry.load(bundled_root())
    d = evaluate("gravity-matrix", SHOPLIFTING, R3[published], registry=registry)
    band = next(w for w in d.warnings
                if w.startswith("rests on an unverified parameter: band_1_outcome"))
    assert "local policy setting" not in band
    assert "reading of the published source, not a local setting" in band
