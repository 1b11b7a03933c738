"""Cancelling a queued job from the jobs page. The server runs no job workers (API only), so the
job stays queued until the user cancels it."""

from __future__ import annotations

import json
import secrets

import pytest
from playwright.sync_api import expect

from openqcs.db.migrate import upgrade
from openqcs.domains import submodules
from openqcs.execution.models import QUEUED, ExecutionJob
from openqcs.identity import service as identity
from tests.console.pages import PASSWORD, password_user, sign_in
from tests.support.server import LiveServer


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("no-workers"))
    url = f"sqlite:///{directory}/openqcs.db"
    upgrade(url)
    server = LiveServer(url, directory, OPENQCS_API_ONLY="true")
    server.start(timeout=120)
    try:
        for module in submodules("seed"):
            module.seed_demo(server.ctx)
        yield server
    finally:
        server.close()


def _queued_job(server, email: str) -> str:
    ctx = server.ctx
    job_id = "job-" + secrets.token_hex(8)
    with ctx.db.session(write=True) as session:
        user = identity.require_user_by_email(session, email)
        session.add(ExecutionJob(id=job_id, processor_id="Aspen-M-3", user_id=user.id, account_type="user",
                                 account_id=user.idp_id, program="DECLARE ro BIT[1]\nX 0\nMEASURE 0 ro[0]\n",
                                 shots=7, readout=json.dumps({"ro": 1}), memory="{}", status=QUEUED,
                                 created_time=ctx.clock.now()))
    return job_id


def test_a_queued_job_is_cancelled_from_the_jobs_page(browser, idle_server, tmp_path):
    email = password_user(idle_server, f"canceller-{secrets.token_hex(3)}@example.test")
    job_id = _queued_job(idle_server, email)
    page = browser.new_context(base_url=idle_server.base_url, accept_downloads=True).new_page()
    sign_in(page, email, PASSWORD)
    page.goto("/console/jobs")
    row = page.locator(f"tr[data-job='{job_id}']")
    expect(row).to_contain_text("queued")
    expect(row.get_by_role("link", name="Results")).to_have_count(0)
    assert page.goto(f"/console/jobs/{job_id}/result.json").status == 409  # not finished: said in words
    expect(page.get_by_role("alert")).to_contain_text("has not finished yet")
    page.goto("/console/jobs")
    row.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status")).to_have_text(f"Cancelled job {job_id}.")
    expect(row).to_contain_text("cancelled")
    with page.expect_download() as download:
        row.get_by_role("link", name="Results").click()
    download.value.save_as(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "USER_CANCELLATION"
    page.context.close()
