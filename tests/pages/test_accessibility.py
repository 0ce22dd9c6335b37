"""axe-core (vendored from the npm registry, ``vendor/axe-core.VERSION``) run in the
browser over every page a role sees: no serious or critical WCAG 2.x A/AA violation,
and none of them loads anything from another origin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.pages.conftest import Site, fill_case, same_origin_only, shot, sign_in
from tests.pages.test_panel import _fill_shoplifting
from tests.pages.test_roles import _example

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _scan(page: Any, name: str) -> None:
    page.add_script_tag(content=AXE)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           TAGS)
    bad = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:3]}
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {json.dumps(bad, indent=1)}"
    shot(page, f"a11y-{name}")


def _page(browser: Any, site: Site) -> Any:
    p = browser.new_context(base_url=site.url, bypass_csp=True).new_page()
    p.requested = []
    p.on("request", lambda req: p.requested.append(req.url))
    return p


def test_every_page_passes_axe(browser: Any, site: Site) -> None:
    # The pages' CSP forbids inline script; axe is injected by the test, so only here
    # the browser is told to let it in.
    page = _page(browser, site)
    for path, name in [("/", "index"), ("/sign-in", "sign-in"), ("/policies", "policies"),
                       ("/policies/gravity-matrix/npcc-2025", "policy")]:
        page.goto(path)
        _scan(page, name)
    sign_in(page, site, "panel")
    _scan(page, "home")
    page.goto("/decide/gravity-matrix")
    _scan(page, "panel-form")
    page.locator("#case_reference").fill("EX-A11Y-1")
    page.get_by_role("button", name="Get the recommendation").click()
    _scan(page, "panel-form-errors")
    _fill_shoplifting(page)
    page.get_by_role("button", name="Get the recommendation").click()
    page.wait_for_url("**/decisions/*")
    _scan(page, "panel-result")
    page.goto("/audit")
    _scan(page, "refused")
    for role, family in [("court_officer", "oocd-pathways"),
                         ("case_manager", "enhanced-case-management"),
                         ("case_manager", "contact-frequency"), ("custody", "pace-transfer")]:
        other = _page(browser, site)
        sign_in(other, site, role, f"/decide/{family}")
        _scan(other, f"{family}-form")
        if family == "oocd-pathways":  # the decision page with its checklist table
            case, on = _example(family, "knife-first-offence")
            other.locator("#decision_date").fill(on)
            fill_case(other, case)
            other.get_by_role("button", name="Get the recommendation").click()
            other.wait_for_selector("#item-C13")
            _scan(other, "court-checklist")
        other.context.close()
    auditor = _page(browser, site)
    sign_in(auditor, site, "auditor", "/audit")
    auditor.locator("#justification").fill("Accessibility check of the audit pages")
    auditor.get_by_role("button", name="Search").click()
    _scan(auditor, "auditor-search")
    auditor.locator("#family").select_option("gravity-matrix")
    auditor.get_by_role("button", name="Search").click()
    auditor.locator("#what_if_version").select_option("acpo-2013")
    auditor.get_by_role("button", name="Run the what-if").click()
    auditor.wait_for_url("**/audit/jobs/*")
    _scan(auditor, "auditor-what-if-job")
    auditor.wait_for_selector("#impact", timeout=30_000)
    _scan(auditor, "auditor-what-if-impact")
    auditor.goto("/audit/reports")
    _scan(auditor, "auditor-reports")
    auditor.context.close()
    same_origin_only(page, site)
