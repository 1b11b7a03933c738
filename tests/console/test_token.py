"""The access-token page: the settings pair downloads and works with qcs-api-client, unmodified."""

from __future__ import annotations

import tomllib

import pytest
from playwright.sync_api import expect

from tests.console.pages import DEMO_EMAIL, sign_in
from tests.support.clients import run_client

API_SCRIPT = """
import json
from qcs_api_client.client import build_sync_client
from qcs_api_client.api.authentication import auth_get_user
from qcs_api_client.api.quantum_processors import list_quantum_processors
with build_sync_client() as client:
    me = auth_get_user.sync(client=client)
    processors = list_quantum_processors.sync(client=client)
    ids = [p.id for p in processors.parsed.quantum_processors]
    print(json.dumps({"email": me.parsed.profile.email, "processors": ids}))
"""


@pytest.mark.clients
def test_downloaded_client_settings_work_with_qcs_api_client(page, console_server, shots, tmp_path):
    sign_in(page)
    page.get_by_role("link", name="Access token", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access token")
    token = page.get_by_role("textbox", name="Access token").input_value()
    assert token.count(".") == 2  # a JWT
    page.screenshot(path=shots / "token.png", full_page=True)
    with page.expect_download() as settings_download:
        page.get_by_role("link", name="Download settings.toml").click()
    with page.expect_download() as secrets_download:
        page.get_by_role("button", name="Download secrets.toml").click()
    settings_path, secrets_path = tmp_path / "settings.toml", tmp_path / "secrets.toml"
    settings_download.value.save_as(settings_path)
    secrets_download.value.save_as(secrets_path)
    settings = tomllib.loads(settings_path.read_text())
    assert settings["profiles"]["openqcs"]["api_url"] == console_server.base_url
    assert settings["auth_servers"]["openqcs"]["issuer"] == console_server.settings.issuer
    payload = tomllib.loads(secrets_path.read_text())["credentials"]["openqcs"]["token_payload"]
    assert payload["access_token"] and payload["refresh_token"]
    env = {"QCS_SETTINGS_FILE_PATH": str(settings_path), "QCS_SECRETS_FILE_PATH": str(secrets_path)}
    out = run_client("api", API_SCRIPT, env)
    assert out["email"] == DEMO_EMAIL and "Aspen-M-3" in out["processors"]
    # Signing out of the console does not end the downloaded credentials.
    page.get_by_role("button", name="Sign out").click()
    assert run_client("api", API_SCRIPT, env)["email"] == DEMO_EMAIL
