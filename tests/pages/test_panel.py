"""In a real browser: the panel's flow from sign-in to a recorded departure, a refused
role, and the case form's errors shown beside the fields in the API's words."""

from __future__ import annotations

import re
from typing import Any

from decision_engine.audit import RecordFilter, open_store
from decision_engine.policy.registry import Registry
from tests.pages.conftest import Site, same_origin_only, shot, sign_in

# the matrix in force today: NPCC 2025 through its current revision (issue 9)
MATRIX = Registry.load().current("gravity-matrix", "npcc-2025")


def _fill_shoplifting(page: Any) -> None:
    page.locator("#case_reference").fill("EX-PAGES-1")
    page.locator("#age").fill("14")
    page.locator("#facts-offence").fill("theft_from_shop")
    page.locator("#facts-sufficient_evidence-yes").check()
    page.locator("#facts-admission").select_option("admitted")
    page.locator("#facts-signed_consent-yes").check()
    page.locator("#facts-looked_after-no").check()
    page.locator("#facts-never_charged_before-yes").check()


def test_panel_recommendation_and_departure(page: Any, site: Site) -> None:
    sign_in(page, site, "panel", "/decide/gravity-matrix")
    assert page.url.endswith("/decide/gravity-matrix")
    shot(page, "panel-form")
    # missing offence: the API's message beside the field, and in the summary
    page.locator("#case_reference").fill("EX-PAGES-1")
    page.locator("#age").fill("14")
    page.get_by_role("button", name="Get the recommendation").click()
    error = page.locator(".field.has-error .field-error").first
    assert "required" in error.inner_text()
    assert page.locator(".error-summary a[href='#facts-offence']").count() == 1
    _fill_shoplifting(page)
    page.get_by_role("button", name="Get the recommendation").click()
    page.wait_for_url("**/decisions/*")
    decision_id = page.url.rsplit("/", 1)[-1]
    assert page.locator(".outcome").inner_text() == "no further action"
    assert page.locator(".warnings").is_visible()  # unverified base score
    assert "NOT verified" in page.content()
    link = page.locator(f"a[href^='/policies/gravity-matrix/{MATRIX}#rule-']").first
    assert link.is_visible()
    shot(page, "panel-result")
    # departing without a rationale is refused with the API's words beside the field
    page.locator("#final_outcome").select_option("community_resolution")
    page.get_by_role("button", name="Record the final outcome").click()
    assert "required when the final outcome" in page.locator(
        ".has-error .field-error").inner_text()
    page.locator("#rationale").fill("Panel agreed a community resolution: victim asked "
                                    "for reparation.")
    page.get_by_role("button", name="Record the final outcome").click()
    page.wait_for_url("**#final")
    assert "departs from the recommendation" in page.content()
    same_origin_only(page, site)
    # a reason's link lands on its rule in the readable policy
    href = page.locator(f"a[href^='/policies/gravity-matrix/{MATRIX}#rule-']").first \
        .get_attribute("href")
    page.goto(href)
    rule = page.locator(f"#{href.split('#')[1]}")
    text = rule.inner_text()
    assert rule.is_visible()
    assert "Source" in text and "In words" in text and "Reason given" in text
    # the store holds it, recorded by the person, and the final points at the decision
    store = open_store(site.db_url)
    try:
        finals = store.finals_for(decision_id)
        assert [(f.outcome, f.actor_id) for f in finals] == [
            ("community_resolution", "panel.north#user")]
        assert finals[0].detail_obj["departs_from_recommendation"] is True
        decision = store.get(decision_id, "north")
        assert decision is not None and decision.actor_id == "panel.north#user"
        assert store.count(RecordFilter(kind="decision", service_area="north")) >= 1
    finally:
        store.close()


def test_a_role_is_refused_a_page_it_may_not_open(page: Any, site: Site) -> None:
    sign_in(page, site, "custody", "/decide/gravity-matrix")
    assert page.get_by_role("heading", name="You may not do this").is_visible()
    assert "may not record gravity-matrix" in page.content()
    response = page.goto("/decide/gravity-matrix")
    assert response is not None and response.status == 403


def test_a_form_posted_without_its_csrf_token_is_refused(page: Any, site: Site) -> None:
    sign_in(page, site, "panel", "/decide/gravity-matrix")
    _fill_shoplifting(page)
    page.evaluate("document.querySelector('main form input[name=csrf_token]').remove()")
    page.get_by_role("button", name="Get the recommendation").click()
    assert page.get_by_role("heading", name="You may not do this").is_visible()
    assert "security token" in page.content()


def test_printed_record_fits_one_a4_page(page: Any, site: Site) -> None:
    sign_in(page, site, "panel", "/decide/gravity-matrix")
    _fill_shoplifting(page)
    page.get_by_role("button", name="Get the recommendation").click()
    page.wait_for_url("**/decisions/*")
    pdf = page.pdf(format="A4", print_background=True)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1, f"the printed record takes {pages} A4 pages"


def test_the_record_shows_the_assessment_due_dates(page: Any, site: Site) -> None:
    """Issue 9 item 7: given the referral and bail dates, the panel reads the dates the
    YOT's assessment is due, counted in working days past the weekends (hand-counted)."""
    sign_in(page, site, "panel", "/decide/gravity-matrix")
    _fill_shoplifting(page)
    page.locator("#case_reference").fill("EX-PAGES-DUE")
    page.locator("#age").fill("16")
    page.locator("#facts-offence").fill("affray")
    page.locator("#facts-referral_date").fill("2026-11-23")  # a Monday
    page.locator("#facts-bail_date").fill("2026-11-20")  # a Friday
    page.get_by_role("button", name="Get the recommendation").click()
    page.wait_for_url("**/decisions/*")
    assert page.locator(".outcome").inner_text() == "youth caution"
    rows = {row.locator("th").inner_text(): row.locator("td").inner_text()
            for row in page.locator("table:has(th:text('assessment due by')) tr").all()}
    # dates written as people here write them; the API keeps ISO 8601
    assert rows["assessment due by"] == "7 December 2026"  # 10 working days after 23 Nov
    assert rows["assessment concluded by"] == "11 December 2026"  # 15 after 20 November
    assert rows["assessment within working days"] == "10"
    facts = {row.locator("th").inner_text(): row.locator("td").inner_text()
             for row in page.locator("table:has(th:text('referral date')) tr").all()}
    assert facts["referral date"] == "23 November 2026"
    header = page.locator("main p.muted").first.inner_text()
    assert re.search(r"recorded \d{1,2} [A-Z][a-z]+ 20\d\d, \d\d:\d\d UTC by", header), header
    assert re.search(r"decision date \d{1,2} [A-Z][a-z]+ 20\d\d ·", header), header
