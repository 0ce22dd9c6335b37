"""diff: structural changes are listed, and the changed cases are exactly the classes
whose outcome differs (checked against direct evaluation of both versions)."""

from __future__ import annotations

from typer.testing import CliRunner

from decision_engine.authoring.diff import diff
from decision_engine.cli.main import app
from decision_engine.policy.registry import Registry


def test_acpo_to_npcc_changes() -> None:
    registry = Registry.load()
    result = diff(registry, "gravity-matrix", "acpo-2013", "npcc-2023")
    kinds = {(c.kind, c.name) for c in result.changes}
    assert ("table-row", "offences.robbery") in kinds
    assert result.refused is None and result.cases > 0
    assert result.changed == sum(f.count for f in result.flows) > 0
    for flow in result.flows:  # patterns cover exactly the flow's cases
        assert sum(p.count for p in flow.patterns) == flow.count
        assert flow.before != flow.after


def test_identical_versions_change_nothing() -> None:
    result = diff(Registry.load(), "pace-transfer", "cjca-2015", "cjca-2015")
    assert result.changes == [] and result.changed == 0 and result.cases > 0


def test_cli_diff_text() -> None:
    out = CliRunner().invoke(app, ["diff", "gravity-matrix", "acpo-2013", "npcc-2023"])
    assert out.exit_code == 0, out.stdout
    assert "reduced cases change outcome" in out.stdout
    assert "community_resolution → no_further_action" in out.stdout


def test_recorded_decisions_that_would_change(tmp_path: object) -> None:
    import datetime as dt

    from decision_engine.audit.store import open_store
    from decision_engine.authoring.diff import recorded_changes
    from decision_engine.engine import decide

    registry = Registry.load()
    store = open_store(f"sqlite:///{tmp_path}/d.db")
    try:
        # common assault with one mitigating factor: the diff lists it as
        # community_resolution → no_further_action (the NPCC score limits)
        case = {"case_reference": "T-1", "age": 15, "facts": {
            "offence": "common_assault", "sufficient_evidence": True,
            "admission": "admitted", "mitigating": ["provocation"]}}
        day = dt.date(2020, 1, 1)
        subject, decision = decide("gravity-matrix", case, day, "acpo-2013", engine="fast")
        store.append_decision(decision, subject, actor_role="panel", actor_id="t",
                              service_area="default")
        new = decide("gravity-matrix", case, day, "npcc-2023", engine="fast")[1]
        counts = recorded_changes(store, registry, "gravity-matrix", "acpo-2013", "npcc-2023",
                                  str(registry.root))
    finally:
        store.close()
    assert counts["decisions"] == 1
    assert (decision.outcome, new.outcome) == ("community_resolution", "no_further_action")
    assert counts["outcome_changes"] == 1 and counts["refused_by_new_version"] == 0


def test_outputs_consults_and_sources_are_listed() -> None:
    """acpo-2013-r4 adds the assessment due dates (outputs) on the bank holidays
    (a source and a table); pathways' cif-2025 consults the gravity matrix."""
    registry = Registry.load()
    result = diff(registry, "gravity-matrix", "acpo-2013-r3", "acpo-2013-r4")
    changes = {(c.kind, c.name): c for c in result.changes}
    assert changes[("output", "assessment_due_by")].what == "added"
    assert changes[("output", "assessment_within_working_days")].what == "changed"
    assert "expr" in changes[("output", "assessment_within_working_days")].detail
    assert changes[("document", "BH")].what == "added"
    assert ("output", "yot_assessment") in changes
    text = "\n".join(result.lines())
    assert "added    output     assessment_due_by" in text
