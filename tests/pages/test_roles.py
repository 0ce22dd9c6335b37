"""In a real browser: the court officer's pathway check with a refer-back, the custody
officer's PACE decision with its s.38(7) certificate, and the case manager's ECM check
with the offence history entered as rows — each form generated from the policy."""

from __future__ import annotations

import json
from typing import Any

from decision_engine.engine import decide
from tests.pages.conftest import ROOT, Site, fill_case, same_origin_only, shot, sign_in


def _example(family: str, name: str) -> tuple[dict[str, Any], str]:
    """An example's case and the decision date it was written for."""
    wrapped: dict[str, Any] = json.loads(
        (ROOT / "examples" / family / f"{name}.json").read_text(encoding="utf-8"))
    return wrapped["case"], wrapped["decision_date"]


def _submit(page: Any, site: Site, role: str, family: str, case: dict[str, Any],
            decision_date: str | None = None) -> None:
    sign_in(page, site, role, f"/decide/{family}")
    if decision_date:
        page.locator("#decision_date").fill(decision_date)
    fill_case(page, case)
    page.get_by_role("button", name="Get the recommendation").click()
    page.wait_for_url("**/decisions/*")


def _expected(family: str, case: dict[str, Any], on: str) -> Any:
    import datetime as dt

    return decide(family, case, dt.date.fromisoformat(on))[1]


def test_court_officer_refer_back(page: Any, site: Site) -> None:
    case, on = _example("oocd-pathways", "knife-first-offence")
    _submit(page, site, "court_officer", "oocd-pathways", case, on)
    expected = _expected("oocd-pathways", case, on)
    assert expected.outcome == "refer_back_police"
    assert page.locator(".outcome").inner_text() == "refer back police"
    assert expected.outputs["action"] in page.content()
    assert "C13 missed" in page.content()
    # the checklist table: each item met or missed, with its rule's reason
    c13 = page.locator("#item-C13")
    assert "missed" in c13.inner_text() and "knife possession" in c13.inner_text()
    assert "met" in page.locator("#item-C2").inner_text()
    shot(page, "court-refer-back")
    same_origin_only(page, site)


def test_custody_pace_certificate(page: Any, site: Site) -> None:
    case, on = _example("pace-transfer", "secure-no-bed")
    _submit(page, site, "custody", "pace-transfer", case, on)
    assert page.locator(".outcome").inner_text() == "certify no secure accommodation"
    cert = page.locator("#certificate-text").inner_text()
    assert "SECTION 38(7)" in cert and "section 38(6)(b)" in cert
    assert "no secure accommodation is available" in cert
    shot(page, "custody-certificate")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_case_manager_ecm_rows(page: Any, site: Site) -> None:
    case, on = _example("enhanced-case-management", "eligible-three-convictions")
    expected = _expected("enhanced-case-management", case, on)
    _submit(page, site, "case_manager", "enhanced-case-management", case, on)
    assert page.locator(".outcome").inner_text() == expected.outcome.replace("_", " ")
    shot(page, "case-manager-ecm")
