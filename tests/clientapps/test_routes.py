"""ListClientApplications, GetClientApplication, CheckClientApplication on the live server."""

from __future__ import annotations

import subprocess

import pytest

from openqcs.clientapps.seed import seed_demo
from tests.support.server import OPENQCS

CHECK = "/v1/clientApplications:check"


@pytest.fixture(autouse=True)
def seeded(server):
    seed_demo(server.ctx)


def test_seeded_clients_are_listed_without_a_token(server):
    with server.client() as client:
        response = client.get("/v1/clientApplications")
    assert response.status_code == 200
    apps = {a["name"]: a for a in response.json()["clientApplications"]}
    assert {"pyquil", "qcs-sdk-python", "qcs-api-client"} <= set(apps)
    assert apps["qcs-api-client"]["latestVersion"] == "0.27.8"
    assert apps["pyquil"]["supported"] is True and apps["pyquil"]["minimumVersion"] == "4.0.0"


def test_get_one_and_unknown_is_404(server):
    with server.client() as client:
        found = client.get("/v1/clientApplications/qcs-sdk-python")
        missing = client.get("/v1/clientApplications/forest-sdk")
    assert found.status_code == 200 and found.json()["latestVersion"] == "0.31.1"
    assert found.json()["links"][0]["url"].startswith("https://")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.mark.parametrize("version, latest, required", [
    ("4.22.0", True, False), ("4.10.1", False, False), ("3.9.0", False, True),
])
def test_check_reports_latest_and_required_update(server, version, latest, required):
    with server.client() as client:
        response = client.post(CHECK, json={"name": "pyquil", "version": version})
    assert response.status_code == 200
    body = response.json()
    assert (body["isLatestVersion"], body["isUpdateRequired"]) == (latest, required)
    assert body["message"]


def test_check_of_an_unknown_application_is_404(server):
    with server.client() as client:
        for name in ("forest-sdk", "pyquil\u0000", "", "x" * 300):
            response = client.post(CHECK, json={"name": name, "version": "2.0.0"})
            assert response.status_code == 404, name
        assert client.get("/v1/clientApplications/pyquil%00").status_code == 404


@pytest.mark.parametrize("content, path", [
    (b'{"name": "pyquil", "version": "banana"}', ["version"]),   # not a version
    (b'{"name": "pyquil", "version": 4.22}', ["version"]),       # wrong type
    (b'{"name": ["pyquil"], "version": "4.22.0"}', ["name"]),    # wrong type
    (b'{"name": "pyquil"}', ["version"]),                        # missing required field
    (b'{"version": "4.22.0"}', ["name"]),                        # missing required field
    (b'{"name": "pyquil", "version": "4.22.0"', None),           # unterminated JSON
    (b"{'name': 'pyquil'}", None),                               # not JSON
    (b"null", None),
    (b"", None),                                                 # no body
])
def test_bad_check_bodies_are_422_in_body(server, content, path):
    with server.client() as client:
        response = client.post(CHECK, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error" and body["requestId"]
    problem = body["validationErrors"][0]
    assert problem["in"] == "body" and problem["message"]
    if path:
        assert problem["path"] == path


def test_admin_cli_sets_versions_the_api_then_uses(server):
    def cli(*args):
        return subprocess.run([OPENQCS, "admin", "clientapp", "set", *args], env=server.env,
                              capture_output=True, text=True, timeout=60)

    result = cli("openqcs-demo-tool", "--latest", "2.1.0", "--minimum", "2.0.0",
                 "--link", "linux=https://example.test/tool.tar.gz")
    assert result.returncode == 0, result.stderr
    with server.client() as client:
        app = client.get("/v1/clientApplications/openqcs-demo-tool").json()
        check = client.post(CHECK, json={"name": "openqcs-demo-tool", "version": "1.9.9"}).json()
    assert app["latestVersion"] == "2.1.0" and app["minimumVersion"] == "2.0.0"
    assert app["links"] == [{"url": "https://example.test/tool.tar.gz", "platform": "linux"}]
    assert check["isUpdateRequired"] is True and check["isLatestVersion"] is False
