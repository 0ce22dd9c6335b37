"""In a real browser: a panel records a departure, then the auditor searches (with a
justification, logged), opens, replays, runs a what-if and downloads the CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from decision_engine.audit import RecordFilter, open_store
from tests.pages.conftest import Site, same_origin_only, shot, sign_in
from tests.pages.test_panel import MATRIX, _fill_shoplifting

WHY = "Quarterly departures audit AUD-2026-Q4"


def test_auditor_search_open_replay_what_if_csv(browser: Any, page: Any, site: Site) -> None:
    panel = browser.new_context(base_url=site.url).new_page()
    sign_in(panel, site, "panel", "/decide/gravity-matrix")
    _fill_shoplifting(panel)
    panel.get_by_role("button", name="Get the recommendation").click()
    panel.wait_for_url("**/decisions/*")
    decision_id = panel.url.rsplit("/", 1)[-1]
    panel.locator("#final_outcome").select_option("youth_caution")
    panel.locator("#rationale").fill("Second thoughts after hearing from the victim.")
    panel.get_by_role("button", name="Record the final outcome").click()
    panel.wait_for_url("**#final")
    panel.context.close()

    sign_in(page, site, "auditor", "/audit")
    # a search without a justification is refused beside the field, in the API's words
    page.get_by_role("button", name="Search").click()
    assert "is required for the auditor role" in page.locator(
        ".has-error .field-error").inner_text()
    page.locator("#justification").fill(WHY)
    page.locator("#family").select_option("gravity-matrix")
    page.locator("#departed").check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("#results")
    row = page.locator(f"a[href^='/audit/decisions/{decision_id}']")
    assert row.count() == 1
    assert "(departs)" in page.locator("tbody").inner_text()
    shot(page, "auditor-search")
    row.click()
    page.wait_for_url(f"**/audit/decisions/{decision_id}*")
    assert "youth caution" in page.content() and "departs from the recommendation" in \
        page.content()
    page.get_by_role("button", name=f"Replay under {MATRIX}").click()
    assert page.locator("#replay-status").inner_text() == "reproduced"
    page.go_back()
    page.locator("#target_version").select_option("acpo-2013")
    page.get_by_role("button", name="Run the what-if").click()
    single = page.locator("#replay-status").inner_text()
    assert single in ("changed", "unchanged")
    assert "acpo-2013" in page.locator("table").first.inner_text()
    # the same what-if over the whole search, as an impact table
    page.goto("/audit")
    page.locator("#justification").fill(WHY)
    page.locator("#family").select_option("gravity-matrix")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("#results")
    found = int(page.locator("#results").inner_text().split()[0])
    page.locator("#what_if_version").select_option("acpo-2013")
    page.get_by_role("button", name="Run the what-if").click()
    page.wait_for_url("**/audit/jobs/*")
    page.wait_for_selector("#impact", timeout=30_000)  # the page refreshes until done
    assert int(page.locator("#processed").inner_text()) == found
    total_row = page.locator("#impact tbody tr").last.locator("td").last.inner_text()
    assert int(total_row) == found
    changed = int(page.locator("#outcome-changed").inner_text())
    listed = page.locator(f"#changed a[href^='/audit/decisions/{decision_id}']").count()
    assert listed == (1 if single == "changed" else 0)
    assert changed >= listed
    shot(page, "auditor-what-if")
    # CSV: the API's export, through the same form
    page.goto("/audit")
    page.locator("#justification").fill(WHY)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert decision_id in text and "youth_caution" in text
    same_origin_only(page, site)
    # every step was logged with the justification before anything was shown
    store = open_store(site.db_url)
    try:
        logs = [r for r in store.list_records(RecordFilter(kind="access"), limit=1000)
                if r.actor_id == "auditor.north#user"]
    finally:
        store.close()
    actions = {(r.detail_obj.get("action"), r.detail_obj.get("justification")) for r in logs}
    for action in ("list", "read", "replay", "export"):
        assert (action, WHY) in actions, actions
