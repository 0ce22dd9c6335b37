"""In a real browser: /docs renders from the app's own files, and a person signs in
and out."""

from __future__ import annotations

from typing import Any

from tests.pages.conftest import Site, same_origin_only, shot, sign_in


def test_docs_render_offline(page: Any, site: Site) -> None:
    page.goto("/docs")
    summary = "Evaluate a gravity-matrix case and record the decision"
    page.get_by_text(summary).first.wait_for(timeout=20_000)
    same_origin_only(page, site)
    assert any(u.endswith("/static/swagger-ui/swagger-ui-bundle.js") for u in page.requested)
    shot(page, "docs")


def test_sign_in_and_out(page: Any, site: Site) -> None:
    page.goto("/home")
    assert "/sign-in" in page.url
    sign_in(page, site, "panel")
    assert page.url.endswith("/home")
    assert page.get_by_text("panel.north").first.is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert "/sign-in" in page.url
    page.goto("/home")
    assert "/sign-in" in page.url
    same_origin_only(page, site)
