"""The subject check's quick yes never hides what the full check finds: not under hand
edits of a real store, not for any identifiers at all."""

from __future__ import annotations

import random
from typing import Any

from audit_support import Made, Raw, fill_every_kind
from hypothesis import given
from hypothesis import strategies as st

from decision_engine.audit import Store
from decision_engine.audit.canonical import canonical_fast
from decision_engine.audit.drafts import subject_digest
from decision_engine.audit.subject_check import (
    SUBJECTS_SQL,
    _fine,
    _problem,
    subject_problems,
)


def _both(store: Store) -> tuple[list[str], list[str]]:
    with store.db.snapshot(raw_text=True) as snap:
        return subject_problems(snap), subject_problems(snap, quick=False)


def _mutate(raw: Raw, rng: random.Random) -> str:
    """One hand edit of the kind verify exists to catch."""
    live = [r[0] for r in raw.execute("SELECT pseudonym FROM subjects WHERE erased_at IS NULL "
                                      "AND pseudonym IS NOT NULL")]
    a, b = rng.sample(live, 2)
    kinds = ["swap", "salt", "reference", "birth", "monitoring", "created", "erased",
             "digest", "delete"]
    if raw.backend == "sqlite":
        kinds += ["blob"]
    kind = rng.choice(kinds)
    one = "UPDATE subjects SET {} = ? WHERE pseudonym = ?"
    if kind == "swap":
        ra = raw.execute("SELECT case_reference FROM subjects WHERE pseudonym = ?", (a,))
        rb = raw.execute("SELECT case_reference FROM subjects WHERE pseudonym = ?", (b,))
        raw.execute(one.format("case_reference"), (rb[0][0], a))
        raw.execute(one.format("case_reference"), (ra[0][0], b))
    elif kind == "salt":
        raw.execute(one.format("salt"), (rng.choice(["", "00", "x\"y", None]), a))
    elif kind == "reference":
        raw.execute(one.format("case_reference"), (rng.choice(["", "R\"1", "R\\1", "é"]), a))
    elif kind == "birth":
        raw.execute(one.format("date_of_birth"), (rng.choice([None, "null", "2010-01-01"]), a))
    elif kind == "monitoring":
        raw.execute(one.format("monitoring"), (rng.choice(
            ["{}", "{ }", "null", "[]", "{\"ethnicity\":\"x\"}", "not json", None]), a))
    elif kind == "created":
        raw.execute(one.format("created_at"), ("2020-01-01T00:00:00.000000Z", a))
    elif kind == "erased":
        raw.execute(one.format("erased_at"), ("2026-01-01T00:00:00.000000Z", a))
    elif kind == "digest":
        raw.execute("UPDATE audit_records SET subject_digest = ? WHERE pseudonym = ? "
                    "AND kind = 'decision'", ("0" * 64, a))
    elif kind == "delete":
        raw.execute("DELETE FROM subjects WHERE pseudonym = ?", (a,))
    elif kind == "blob":
        raw.execute("UPDATE subjects SET salt = CAST(salt AS BLOB) WHERE pseudonym = ?", (a,))
    return kind


def test_audit_subject_check_quick_yes_hides_nothing_under_hand_edits(
        store_url: str, store: Store, decisions: list[Made]) -> None:
    fill_every_kind(store, decisions, 40)
    with store.db.snapshot(raw_text=True) as snap:  # a healthy store: every live row quick
        rows = snap.query(SUBJECTS_SQL)
        clock = int(snap.query("SELECT exact_after_seq FROM subject_clock")[0][0])
    live = [row for row in rows if row[5] is None]
    assert len(live) == 39 and all(_fine(row, clock) for row in live)
    assert _both(store) == ([], [])
    raw = Raw(store_url)
    raw.disable_triggers()
    seen: set[str] = set()
    try:
        for step in range(30):
            seen.add(_mutate(raw, random.Random(step)))
            quick, full = _both(store)
            assert quick == full, (step, seen)
    finally:
        raw.close()
    assert len(full) >= 10, full
    assert {"swap", "salt", "monitoring", "digest", "delete"} <= seen, seen


_text = st.text(max_size=12)


@given(salt=_text, reference=_text, birth=st.none() | _text,
       monitoring=st.dictionaries(_text, _text, max_size=3),
       changed=st.sampled_from(["salt", "reference", "birth", "monitoring", "none"]),
       other=_text, raw=st.booleans())
def test_audit_subject_check_quick_yes_is_a_yes_of_the_full_check(
        salt: str, reference: str, birth: str | None, monitoring: dict[str, str],
        changed: str, other: str, raw: bool) -> None:
    """For any identifiers, stored as SQLite's raw bytes or as text: the quick check
    says yes to the row as recorded, and says yes to a changed row only where the full
    check does too."""
    digest = subject_digest(salt, reference, birth, monitoring)
    stored = {"salt": salt, "reference": reference, "birth": birth,
              "monitoring": canonical_fast(monitoring).decode()}
    if changed != "none":
        stored[changed] = other

    def as_stored(value: Any) -> Any:
        return value.encode() if raw and isinstance(value, str) else value

    row = [as_stored(v) for v in ("p1", stored["salt"], stored["reference"], stored["birth"],
                                  stored["monitoring"], None, None, digest, 5, None,
                                  "2026-01-01T00:00:00.000001Z",
                                  "2026-01-01T00:00:00.000001Z")]
    row[8] = 5
    if changed == "none":
        assert _fine(row, 0) and _problem(row, 0) is None
    elif _fine(row, 0):
        assert _problem(row, 0) is None
