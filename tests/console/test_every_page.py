"""Every console page has a title, one main heading, a skip link, labelled form fields and no
trace of a stack trace."""

from __future__ import annotations

import secrets

from tests.console.pages import PASSWORD, password_user, sign_in

PAGES = ["/console/", "/console/processors", "/console/processors/Aspen-M-3",
         "/console/processors/Aspen-M-3?metric=fRB", "/console/reservations",
         "/console/reservations?processor=Aspen-M-3&duration=2h", "/console/billing", "/console/jobs", "/console/token", "/console/admin", "/console/admin/operations", "/console/login"]

UNLABELLED = """() => Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
    .filter(el => el.labels.length === 0 && !el.getAttribute("aria-label")).map(el => el.outerHTML)"""


def test_every_page_has_a_title_a_heading_and_labelled_fields(page, console_server):
    sign_in(page, password_user(console_server, f"pages-{secrets.token_hex(3)}@example.test", admin=True), PASSWORD)
    for path in PAGES:
        response = page.goto(path)
        assert response.status == 200, path
        assert page.title().endswith("· openqcs console") and len(page.title()) > 20, path
        assert page.locator("h1").count() == 1, path
        assert page.locator("a.skip[href='#main']").count() == 1, path
        assert page.evaluate(UNLABELLED) == [], path
        assert "Traceback" not in page.content(), path
