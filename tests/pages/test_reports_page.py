"""The auditor's reports page in a real browser: refused without a justification, then
the report with its inline SVG charts, logged; other roles are refused the page."""

from __future__ import annotations

from typing import Any

from decision_engine.audit import RecordFilter, open_store
from tests.pages.conftest import Site, same_origin_only, shot, sign_in
from tests.reports.fixture import VERSION, fill

WHY = "Board report AUD-2026-Q4"


def test_auditor_runs_a_report(browser: Any, page: Any, site: Site) -> None:
    with open_store(site.db_url) as store:
        if store.count(RecordFilter(family="gravity-matrix")) == 0:
            fill(store, area="north")
    sign_in(page, site, "auditor", "/audit/reports")
    assert page.get_by_role("link", name="Reports").count() == 1
    page.locator("#date_from").fill("2024-05-01")
    page.locator("#date_to").fill("2024-05-01")
    page.get_by_role("button", name="Run the report").click()
    assert "is required for the auditor role" in page.locator(
        ".has-error .field-error").inner_text()
    page.locator("#justification").fill(WHY)
    page.get_by_role("button", name="Run the report").click()
    page.wait_for_selector("#report")
    assert page.locator("#report svg").count() >= 3
    box = page.locator("#report svg").first.bounding_box()
    assert box is not None and box["width"] > 300
    assert VERSION in page.locator("#report").inner_text()
    shot(page, "auditor-reports")
    same_origin_only(page, site)
    with open_store(site.db_url) as store:
        logged = store.list_records(RecordFilter(kind="access"), limit=1000)[-1]
    assert logged.detail_obj["action"] == "report"
    assert logged.detail_obj["justification"] == WHY


def test_other_roles_are_refused_the_page(browser: Any, site: Site) -> None:
    for role in ("panel", "policy_admin", "custody"):
        p = browser.new_context(base_url=site.url).new_page()
        try:
            sign_in(p, site, role)
            response = p.goto("/audit/reports")
            assert response is not None and response.status == 403
            assert p.get_by_role("link", name="Reports").count() == 0
        finally:
            p.context.close()
