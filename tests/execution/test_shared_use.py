"""Many users on one server, through Rigetti's own clients: a long job does not hold up another
user's small one, an account without credit is refused, operators see every job (`openqcs admin
job`), the log and /metrics."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from sqlalchemy import select

from openqcs.execution.models import ExecutionJob
from openqcs.execution.proto import models_controller_pb2 as mc
from openqcs.execution.proto import services_controller_pb2 as sc
from tests.support.clients import run_client, write_qcs_config
from tests.support.databases import database
from tests.support.execution import Stubs, execute, results, translate, wait_running
from tests.support.factories import funded_user, make_user
from tests.support.factories import make_reference_processor as add_processor
from tests.support.programs import BELL, LONG
from tests.support.server import OPENQCS, live_server

pytestmark = pytest.mark.clients

PYQUIL_BELL = """
import json
from pyquil import get_qc, Program
qc = get_qc("{processor}", execution_timeout=30.0)
bell = Program({bell!r}).wrap_in_numshots_loop(50)
exe = qc.compile(bell, to_native_gates=False, optimize=False)
out = {{}}
for attempt in range({runs}):
    try:
        out[attempt] = qc.run(exe).get_register_map()["ro"].tolist()
    except Exception as exc:
        out[attempt] = "error: " + str(exc)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """Two simulation processes, logs at INFO (one line per gRPC call)."""
    directory = str(tmp_path_factory.mktemp("shared-use"))
    with database("sqlite", directory) as url, live_server(url, directory, OPENQCS_EXECUTION_WORKERS="2",
                                                           OPENQCS_LOG_LEVEL="INFO") as srv:
        srv.processor = add_processor(srv.ctx, processor_id="Shared-QPU")
        yield srv


def pyquil_env(server, user, tmp_path) -> dict[str, str]:
    return write_qcs_config(tmp_path, api_url=server.base_url, grpc_url=server.settings.grpc_url,
                            issuer=server.settings.issuer, access_token=user.token)


def job_rows(server, user_id: int) -> list[ExecutionJob]:
    with server.ctx.db.session() as session:
        return list(session.scalars(select(ExecutionJob).where(ExecutionJob.user_id == user_id)))


def test_a_small_program_runs_while_another_users_long_job_runs(busy, tmp_path):
    heavy, light = funded_user(busy.ctx), funded_user(busy.ctx)
    stubs = Stubs(busy, heavy.token)
    try:
        [long_id] = execute(stubs, busy.processor, translate(stubs, busy.processor, LONG, 10), {})
        wait_running(stubs, long_id)
        script = PYQUIL_BELL.format(processor=busy.processor, runs=1, bell=BELL)
        out = run_client("pyquil", script, pyquil_env(busy, light, tmp_path), timeout=180)
        # The small program was translated, ran and came back while the long job still ran.
        long_status = stubs.call("GetControllerJobStatus", sc.GetControllerJobStatusRequest(job_id=long_id)).status
        assert long_status == sc.GetControllerJobStatusResponse.RUNNING
        shots = out["0"]
        assert len(shots) == 50 and all(a == b for a, b in shots)
        assert [j.status for j in job_rows(busy, light.id)] == ["succeeded"]
        stubs.call("CancelControllerJobs", sc.CancelControllerJobsRequest(job_ids=[long_id]))
        assert results(stubs, long_id).status == mc.ControllerJobExecutionResult.USER_CANCELLATION
    finally:
        stubs.channel.close()


def test_an_account_without_credit_is_refused_at_submission(busy, tmp_path):
    broke = make_user(busy.ctx)
    out = run_client("pyquil", PYQUIL_BELL.format(processor=busy.processor, runs=1, bell=BELL), pyquil_env(busy, broke, tmp_path))
    assert "insufficient credit" in out["0"] and "has 0" in out["0"] and "credit" in out["0"]
    assert job_rows(busy, broke.id) == []  # nothing was queued
    # One cent pays for one job (1 cent each), not three: the second is refused, the account stays out of debt.
    cent = funded_user(busy.ctx, cents=1)
    script = PYQUIL_BELL.format(processor=busy.processor, runs=3, bell=BELL)
    out = run_client("pyquil", script, pyquil_env(busy, cent, tmp_path / "c"))
    assert isinstance(out["0"], list) and len(out["0"]) == 50
    assert "insufficient credit" in out["1"] and "insufficient credit" in out["2"]
    from openqcs.billing.service import balance_cents
    from openqcs.identity.accounts import Account

    with busy.ctx.db.session() as session:
        assert balance_cents(session, Account(cent.idp_id, "user")) >= 0


def admin(server, *args: str) -> str:
    done = subprocess.run([OPENQCS, "admin", "job", *args], env=server.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_admin_job_list_shows_every_users_jobs_with_status_and_duration(busy):
    first, second = funded_user(busy.ctx), funded_user(busy.ctx)
    ids = {}
    for who in (first, second):
        stubs = Stubs(busy, who.token)
        try:
            [ids[who.email]] = execute(stubs, busy.processor, translate(stubs, busy.processor, BELL, 10), {})
            assert results(stubs, ids[who.email]).status == mc.ControllerJobExecutionResult.SUCCESS
        finally:
            stubs.channel.close()
    listing = admin(busy, "list")
    for who in (first, second):
        line = next(line for line in listing.splitlines() if ids[who.email] in line)
        assert who.email in line and "succeeded" in line and line.rstrip().endswith("s")
    only = admin(busy, "list", "--user", first.email)
    assert ids[first.email] in only and ids[second.email] not in only
    assert admin(busy, "list", "--user", first.email.upper()) == only  # emails match in any case
    unknown = subprocess.run([OPENQCS, "admin", "job", "list", "--user", "nobody@example.test"], env=busy.env,
                             capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 1 and "no user with email 'nobody@example.test'" in unknown.stderr
    assert ids[first.email] not in admin(busy, "list", "--status", "failed")
    shown = admin(busy, "show", ids[second.email])
    fields = dict(line.split(":", 1) for line in shown.splitlines() if ":" in line and not line.startswith(" "))
    assert fields["user"].strip() == second.email and fields["status"].strip() == "succeeded"
    assert fields["duration"].strip().endswith("s") and "MEASURE 0 ro[0]" in shown
    refused = subprocess.run([OPENQCS, "admin", "job", "cancel", ids[first.email]], env=busy.env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "already succeeded" in refused.stderr
    bad = subprocess.run([OPENQCS, "admin", "job", "list", "--status", "done"], env=busy.env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "status must be one of" in bad.stderr


def log_entries(server) -> list[dict]:
    return [json.loads(line) for line in server.log_tail(400_000).splitlines() if line.startswith("{")]


def test_the_log_and_metrics_show_grpc_calls_and_jobs(busy):
    stubs = Stubs(busy, funded_user(busy.ctx).token)
    try:
        [job_id] = execute(stubs, busy.processor, translate(stubs, busy.processor, BELL, 10), {})
        assert results(stubs, job_id).status == mc.ControllerJobExecutionResult.SUCCESS
    finally:
        stubs.channel.close()
    # The job's last line is written just after its result is stored (and the results call woken).
    deadline = time.monotonic() + 10
    while True:
        lines = log_entries(busy)
        transitions = [e["status"] for e in lines if e.get("logger") == "openqcs.execution.jobs" and e.get("job") == job_id]
        if len(transitions) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert transitions == ["queued", "running", "succeeded"]
    calls = [e for e in lines if e.get("logger") == "openqcs.execution.grpc" and e.get("method")]
    executes = [e for e in calls if e["method"] == "ExecuteControllerJob"]
    assert any(e["status"] == "OK" for e in executes)
    assert all(e["request_id"] and e["duration_ms"] >= 0 for e in calls)
    text = busy.client().get("/metrics").text
    assert 'openqcs_grpc_requests_total{code="OK",method="ExecuteControllerJob"}' in text
    assert 'openqcs_jobs_total{status="succeeded"}' in text
    for series in ("openqcs_grpc_request_duration_seconds_bucket", "openqcs_job_duration_seconds_bucket",
                   "openqcs_simulator_seconds_total", "openqcs_job_queue_depth"):
        assert series in text, series
