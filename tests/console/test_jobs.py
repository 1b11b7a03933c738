"""A job that pyquil (unmodified, its own venv) ran shows up on the jobs page with its duration,
and its results download; another user sees none of it."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from playwright.sync_api import expect

from openqcs.identity import service as identity
from tests.console.pages import DEMO_EMAIL, PASSWORD, password_user, sign_in
from tests.support.clients import run_client, write_qcs_config

pytestmark = pytest.mark.clients

SCRIPT = """
import json
from pyquil import get_qc, Program
qc = get_qc("Aspen-M-3", execution_timeout=60.0)
# Native gates only: the calibrated Aspen-M-3 runs what its ISA lists, and this run has no quilc.
native = Program("DECLARE ro BIT[2]", "RX(pi) 0", "RX(pi/2) 1", "CZ 0 1", "MEASURE 0 ro[0]", "MEASURE 1 ro[1]")
result = qc.run(qc.compile(native.wrap_in_numshots_loop(25), to_native_gates=False, optimize=False))
print(json.dumps({"ro": result.get_register_map()["ro"].tolist()}))
"""


def _demo_token(server) -> str:
    ctx = server.ctx
    with ctx.db.session() as session:
        user = identity.require_user_by_email(session, DEMO_EMAIL)
        uid = user.idp_id
    token, _ = ctx.tokens.issue_access_token(subject=DEMO_EMAIL, uid=uid, groups=[])
    return token


def test_a_pyquil_job_appears_with_its_duration_and_results(page, browser, console_server, shots, tmp_path):
    env = write_qcs_config(tmp_path, api_url=console_server.base_url, grpc_url=console_server.settings.grpc_url,
                           issuer=console_server.settings.issuer, access_token=_demo_token(console_server))
    out = run_client("pyquil", SCRIPT, env, timeout=180)
    assert len(out["ro"]) == 25
    sign_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    row = page.locator("#jobs tbody tr", has_text="Aspen-M-3").first
    expect(row).to_contain_text("succeeded")
    expect(row.locator("td").nth(3)).to_have_text("25")
    duration = row.locator("td.duration")
    assert re.match(r"^\d+(\.\d+)? (ms|s)", duration.inner_text())
    assert float(duration.get_attribute("data-value")) >= 0
    page.screenshot(path=shots / "jobs.png", full_page=True)
    job_id = row.get_attribute("data-job")
    with page.expect_download() as download:
        row.get_by_role("link", name="Results").click()
    path = tmp_path / "result.json"
    download.value.save_as(path)
    result = json.loads(path.read_text())
    assert result["status"] == "SUCCESS" and len(result["readout_values"]) == 2

    # Another user sees none of it, and cannot fetch it by its address.
    email = password_user(console_server, f"second-{secrets.token_hex(3)}@example.test")
    other = browser.new_context(base_url=console_server.base_url).new_page()
    sign_in(other, email, PASSWORD)
    other.goto("/console/jobs")
    expect(other.locator("#jobs tbody")).to_contain_text("No jobs yet")
    expect(other.locator("#jobs tbody")).not_to_contain_text(job_id[:12])
    answer = other.goto(f"/console/jobs/{job_id}/result.json")
    assert answer.status == 404 and "not found" in other.locator("main").inner_text()
    other.goto("/console/reservations")
    expect(other.get_by_role("heading", name="My reservations")).to_be_visible()
    assert other.locator("tr[data-reservation]").count() == 0
    other.screenshot(path=shots / "second-user-reservations.png", full_page=True)
    other.context.close()
