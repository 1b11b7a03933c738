"""With an external OIDC issuer the console sends the browser there (authorization code + PKCE)
and signs the user in with what it answers. The external issuer here is a second openqcs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from openqcs.db.migrate import upgrade
from tests.console.pages import PASSWORD, password_user
from tests.support.server import LiveServer


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    started = []
    try:
        idp_dir = str(tmp_path_factory.mktemp("idp"))
        upgrade(f"sqlite:///{idp_dir}/openqcs.db")
        idp = LiveServer(f"sqlite:///{idp_dir}/openqcs.db", idp_dir, OPENQCS_API_ONLY="true")
        idp.start(timeout=120)
        started.append(idp)
        app_dir = str(tmp_path_factory.mktemp("relying"))
        upgrade(f"sqlite:///{app_dir}/openqcs.db")
        app = LiveServer(f"sqlite:///{app_dir}/openqcs.db", app_dir, OPENQCS_API_ONLY="true",
                         OPENQCS_OIDC_ISSUER=idp.settings.issuer,
                         OPENQCS_OIDC_JWKS_URL=idp.settings.issuer + "/v1/keys",
                         OPENQCS_OIDC_AUDIENCE="api://qcs")
        app.start(timeout=120)
        started.append(app)
        yield idp, app
    finally:
        for server in started:
            server.close()


def test_sign_in_goes_to_the_external_issuer_and_back(browser, two_servers, shots):
    idp, app = two_servers
    email = password_user(idp, "corp-user@example.test")
    page = browser.new_context(base_url=app.base_url).new_page()
    page.goto("/console/")
    expect(page.locator("main")).to_contain_text(idp.settings.issuer)
    page.get_by_role("link", name=re.compile("^Sign in")).click()
    assert page.url.startswith(idp.settings.issuer + "/v1/authorize?")
    expect(page.locator("main")).to_contain_text("openqcs-console")
    page.screenshot(path=shots / "external-issuer-sign-in.png")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(app.base_url) + r"/console/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {email}")
    # The relying server's own pages work with the external issuer's token.
    page.goto("/console/billing")
    expect(page.locator("#balance")).to_have_text("$0.00")
    page.context.close()
