"""The pytest plugin as a user meets it: their own test file, run by pytest (``pytester``), with
the ``openqcs`` fixture found through the ``pytest11`` entry point."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = '''
import os
import tomllib
from datetime import timedelta

import httpx
import pytest


def api(openqcs, token=None):
    token = token or openqcs.user.access_token
    return httpx.Client(base_url=openqcs.api_url, headers={"authorization": f"Bearer {token}"}, timeout=30)


def processors(openqcs, token=None):
    with api(openqcs, token) as client:
        return {p["id"] for p in client.get("/v1/quantumProcessors").json()["quantumProcessors"]}


def test_clients_are_pointed_at_the_server(openqcs):
    settings = tomllib.loads(open(os.environ["QCS_SETTINGS_FILE_PATH"]).read())
    profile = settings["profiles"][os.environ["QCS_PROFILE_NAME"]]
    assert profile["api_url"] == openqcs.api_url and profile["grpc_api_url"] == openqcs.grpc_url
    secrets = tomllib.loads(open(os.environ["QCS_SECRETS_FILE_PATH"]).read())
    token = secrets["credentials"][os.environ["QCS_PROFILE_NAME"]]["token_payload"]["access_token"]
    with api(openqcs, token) as client:
        assert client.get("/v1/auth:getUser").json()["profile"]["email"] == "demo@openqcs.local"
    assert os.environ["QCS_SETTINGS_APPLICATIONS_QUILC_URL"] == openqcs.quilc_url
    assert os.environ["QCS_SETTINGS_APPLICATIONS_QVM_URL"] == openqcs.qvm_url


def test_first_makes_things(openqcs):
    openqcs.add_processor("Mine-2x2")
    alice = openqcs.add_user("alice@example.test", groups=("lab",), credit_cents=2500)
    assert openqcs.balance(user=alice.email) == 2500
    assert "Mine-2x2" in processors(openqcs, alice.access_token)


def test_second_sees_the_demo_seed_again(openqcs):
    assert processors(openqcs) == {"Aspen-M-3", "Aspen-9", "Aspen-8", "Ankaa-9Q-sim", "Ankaa-9Q-noiseless"}
    with pytest.raises(Exception, match="no user"):
        openqcs.tokens("alice@example.test")


@pytest.mark.openqcs(reset=False)
def test_without_reset_state_is_kept(openqcs):
    openqcs.add_user("carol@example.test")
    openqcs.add_processor("Kept-2x2")


@pytest.mark.openqcs(reset=False)
def test_kept_from_the_test_before(openqcs):
    assert openqcs.tokens("carol@example.test").email == "carol@example.test"
    assert "Kept-2x2" in processors(openqcs)


@pytest.mark.openqcs(empty=True)
def test_empty_has_no_users_or_processors(openqcs):
    with pytest.raises(Exception, match="no user"):
        openqcs.tokens("demo@openqcs.local")
    user = openqcs.add_user(admin=True)
    assert processors(openqcs, user.access_token) == set()


def test_a_fault_is_what_the_client_sees(openqcs):
    openqcs.fault("/v1/quantumProcessors", status=503, message="scheduled maintenance")
    with api(openqcs) as client:
        failed = client.get("/v1/quantumProcessors")
        assert failed.status_code == 503 and failed.json()["message"] == "scheduled maintenance"
    openqcs.clear_faults()
    assert "Aspen-M-3" in processors(openqcs)


def test_an_offline_processor_has_no_live_accessor(openqcs):
    openqcs.set_processor_status("Aspen-9", "offline")
    with api(openqcs) as client:
        assert [a["live"] for a in client.get("/v1/quantumProcessors/Aspen-9/accessors").json()["accessors"]] == [False]


def test_the_clock_moves_and_tokens_expire(openqcs):
    before = openqcs.now()
    assert openqcs.advance(3600) - before >= timedelta(seconds=3600)
    with api(openqcs) as client:
        assert client.get("/v1/auth:getUser").status_code == 200
    openqcs.advance(24 * 3600)
    with api(openqcs) as client:
        assert client.get("/v1/auth:getUser").status_code == 401


def test_the_next_test_starts_on_real_time_with_no_faults(openqcs):
    with api(openqcs) as client:
        assert client.get("/v1/auth:getUser").status_code == 200
        assert client.get("/v1/quantumProcessors/Aspen-9/accessors").json()["accessors"][0]["live"] is True
'''


@pytest.mark.timeout(600)
def test_a_users_test_file_runs_on_the_fixture(pytester: pytest.Pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=540)
    result.assert_outcomes(passed=10)


@pytest.mark.timeout(600)
def test_a_failing_user_test_fails(pytester: pytest.Pytester):
    """The fixture does not swallow failures: a wrong expectation about the state fails."""
    pytester.makepyfile(test_wrong='''
def test_expects_a_processor_that_is_not_there(openqcs):
    with __import__("httpx").Client(base_url=openqcs.api_url, headers={"authorization": "Bearer " + openqcs.user.access_token}) as c:
        ids = {p["id"] for p in c.get("/v1/quantumProcessors").json()["quantumProcessors"]}
    assert "Imaginary-1" in ids
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=540)
    result.assert_outcomes(failed=1)


SDK_TEST = '''
import json
import os
import subprocess

SDK_PYTHON = {sdk_python!r}
LIST = (
    "import json\\n"
    "from qcs_sdk.client import QCSClient\\n"
    "from qcs_sdk.qpu import list_quantum_processors\\n"
    "print(json.dumps(sorted(list_quantum_processors(client=QCSClient.load(), timeout=30))))\\n"
)


def test_qcs_sdk_031_keeps_working_after_its_token_expired(openqcs):
    assert openqcs.issuer.startswith("https://")
    openqcs.advance(25 * 3600)  # the profile's access token (24 h) has expired
    done = subprocess.run([SDK_PYTHON, "-c", LIST], env=dict(os.environ), capture_output=True, text=True,
                          timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines and "Aspen-M-3" in json.loads(lines[-1]), done.stderr[-3000:]
'''


@pytest.mark.clients
@pytest.mark.timeout(600)
def test_qcs_sdk_031_refreshes_at_the_plugins_https_issuer(pytester: pytest.Pytester):
    from tests.support.clients import client_python

    pytester.makepyfile(test_sdk=SDK_TEST.format(sdk_python=str(client_python("sdk"))))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=540)
    result.assert_outcomes(passed=1)
