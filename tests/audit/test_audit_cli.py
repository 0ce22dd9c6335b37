"""``decision-engine audit ...`` commands, driven through typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from audit_support import Made, Raw, RawDecision, decision_json
from typer.testing import CliRunner

from decision_engine.audit import RecordFilter, Store, open_store
from decision_engine.cli.audit import audit_app

runner = CliRunner()


def _invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(audit_app, [*args, "--database-url", url])
    return result.exit_code, result.stdout, result.stderr


def _fill(store: Store, decisions: list[Made], count: int = 8) -> list[str]:
    ids = []
    for made in decisions[:count]:
        ids.append(store.append_decision(made.decision, made.subject, actor_role="officer",
                                         actor_id="o", service_area=made.service_area).id)
    return ids


def test_audit_cli_verify_and_checkpoint(store_url: str, store: Store, decisions: list[Made],
                                         tmp_path: Path) -> None:
    _fill(store, decisions)
    code, out, _ = _invoke(store_url, "verify")
    assert code == 0 and out.startswith("ok: 8 records, head seq 8")
    cp = tmp_path / "head.json"
    code, out, _ = _invoke(store_url, "checkpoint", "--out", str(cp))
    assert code == 0 and "seq 8" in out
    saved = json.loads(cp.read_text())
    assert saved["seq"] == 8 and saved["count"] == 8 and len(saved["hash"]) == 64
    code, _, err = _invoke(store_url, "checkpoint", "--out", str(cp))
    assert code == 2 and "exists" in err
    code, out, _ = _invoke(store_url, "verify", "--against", str(cp))
    assert code == 0 and "1 checkpoint(s) match" in out

    raw = Raw(store_url)
    raw.disable_triggers()
    raw.execute("UPDATE audit_records SET outcome = 'charge' WHERE seq = 5")
    raw.close()
    code, out, _ = _invoke(store_url, "verify")
    assert code == 1 and out.startswith("BROKEN: record seq 5")
    code, out, _ = _invoke(store_url, "verify", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["broken"]["seq"] == 5
    code, _, err = _invoke(store_url, "checkpoint", "--out", str(tmp_path / "bad.json"))
    assert code == 1 and "does not verify" in err


def test_audit_cli_replay_formats(store_url: str, store: Store, decisions: list[Made],
                                  tmp_path: Path) -> None:
    _fill(store, decisions, 12)
    code, out, _ = _invoke(store_url, "replay", "--no-progress")
    assert code == 0 and "reproduced  12" in out and "differs     0" in out
    code, out, _ = _invoke(store_url, "replay", "--no-progress", "--policy-version",
                           "acpo-2013")
    assert code == 0 and "Replay (impact) of 12 decisions" in out
    assert "By family and outcome:" in out
    target = tmp_path / "impact.csv"
    code, _, err = _invoke(store_url, "replay", "--no-progress", "--policy-version",
                           "acpo-2013", "--format", "csv", "--out", str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert code == 0 and "outcome changes" in err
    assert all(r["status"] == "changed" and r["replay_version"] == "acpo-2013" for r in rows)
    code, out, _ = _invoke(store_url, "replay", "--no-progress", "--policy-version",
                           "acpo-2013", "--format", "json")
    data = json.loads(out)
    assert len(data["items"]) == len(rows) == data["summary"]["outcome_changed"]
    code, out, _ = _invoke(store_url, "replay", "--no-progress", "--family", "other")
    assert code == 0 and "of 0 decisions" in out
    code, _, err = _invoke(store_url, "replay", "--from", "2020-13-01")
    assert code == 2 and "--from" in err


def test_audit_cli_replay_fails_when_a_decision_differs(store_url: str, store: Store,
                                                        decisions: list[Made]) -> None:
    data = decision_json(decisions[0])
    data["reasons"] = []
    store.append_decision(RawDecision(data), None, actor_role="o", actor_id="o",
                          service_area="north")
    code, out, _ = _invoke(store_url, "replay", "--no-progress")
    assert code == 1 and "differs     1" in out and "$.reasons[0]" in out
    code, out, _ = _invoke(store_url, "replay", "--no-progress", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1 and {r["path"] for r in rows} >= {"$.reasons[0]"}


def test_audit_cli_export(store_url: str, store: Store, decisions: list[Made],
                          tmp_path: Path) -> None:
    _fill(store, decisions)
    target = tmp_path / "out.jsonl"
    code, _, err = _invoke(store_url, "export", "--format", "jsonl", "--out", str(target),
                           "--justification", "inspection", "--service-area", "south",
                           "--actor", "insp-1", "--role", "inspector")
    assert code == 0 and "exported 4 decisions" in err
    lines = target.read_text().splitlines()
    assert len(lines) == 4
    code, out, _ = _invoke(store_url, "export", "--justification", "inspection")
    assert code == 0 and len(list(csv.DictReader(io.StringIO(out)))) == 8
    access = store.list_records(RecordFilter(kind="access"))
    assert (access[0].actor_id, access[0].actor_role, access[0].service_area) == (
        "insp-1", "inspector", "south")
    code, _, err = _invoke(store_url, "export", "--format", "xml", "--justification", "x")
    assert code == 2


def test_audit_cli_erase(store_url: str, store: Store, decisions: list[Made],
                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _fill(store, decisions, 4)
    pseudonyms = [store.get(i).pseudonym for i in ids]  # type: ignore[union-attr]
    code, _, err = _invoke(store_url, "erase", "--justification", "x")
    assert code == 2 and "exactly one" in err
    code, out, _ = _invoke(store_url, "erase", "--justification", "SAR",
                           "--pseudonym", str(pseudonyms[0]))
    assert code == 0
    assert store.subject(str(pseudonyms[0])).case_reference is None  # type: ignore[union-attr]
    reference = decisions[1].subject.case_reference
    code, out, _ = _invoke(store_url, "erase", "--justification", "SAR", "--case-reference",
                           reference, "--dry-run")
    assert code == 0 and out.strip() == pseudonyms[1]
    code, out, _ = _invoke(store_url, "erase", "--justification", "SAR", "--case-reference",
                           reference)
    assert code == 0 and store.pseudonyms_for_case(reference) == []
    monkeypatch.delenv("DECISION_ENGINE_RETENTION", raising=False)
    monkeypatch.delenv("DECISION_ENGINE_RETENTION_FILE", raising=False)
    code, _, err = _invoke(store_url, "erase", "--justification", "r",
                           "--older-than-retention")
    assert code == 2 and "no retention period" in err
    policy = tmp_path / "retention.toml"
    policy.write_text('[retention]\ngravity-matrix = "0d"\n')
    code, _, err = _invoke(store_url, "erase", "--justification", "retention period ended",
                           "--older-than-retention", "--retention", str(policy))
    assert code == 0 and "erased 2 subject(s)" in err
    erasures = store.list_records(RecordFilter(kind="erasure"))
    assert [e.detail_obj["reason"] for e in erasures] == ["request", "request", "retention",
                                                          "retention"]
    assert erasures[-1].detail_obj["retention"] == "0d"
    code, out, _ = _invoke(store_url, "verify")
    assert code == 0
    code, out, _ = _invoke(store_url, "replay", "--no-progress")
    assert code == 0 and "reproduced  4" in out


def test_audit_cli_migrate_and_bad_url(store_url: str, tmp_path: Path) -> None:
    code, out, _ = _invoke(store_url, "migrate")
    assert code == 0 and out.startswith("0001  audit_chain")
    code, _, err = _invoke("mysql://x", "verify")
    assert code == 2 and "expected sqlite" in err
    code, _, err = _invoke(f"sqlite:///{tmp_path}/missing/dir/a.db", "verify")
    assert code == 2 and "does not exist" in err
    with open_store(store_url) as store:
        assert store.count() == 0
