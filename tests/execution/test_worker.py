"""The job queue: jobs wait for workers (and results wait for jobs), queued jobs cancel, `openqcs
worker` processes share the queue, a job a dead worker held runs again, finished jobs are billed."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import select

from openqcs.execution.models import ExecutionJob
from openqcs.execution.proto import models_controller_pb2 as mc
from openqcs.execution.proto import services_controller_pb2 as sc
from openqcs.execution.worker import Worker
from tests.support.clients import run_client, write_qcs_config
from tests.support.databases import database
from tests.support.execution import Stubs, execute, results, translate
from tests.support.factories import funded_user
from tests.support.factories import make_reference_processor as add_processor
from tests.support.programs import BELL
from tests.support.server import OPENQCS, live_server

QUEUED = sc.GetControllerJobStatusResponse.QUEUED


@pytest.fixture(scope="module")
def queue_server(tmp_path_factory):
    """A server that runs no jobs itself (execution_workers=0): jobs wait for `openqcs worker` processes.

    PostgreSQL only: it is where several workers share the queue (SKIP LOCKED); SQLite's single
    in-process worker is what every other execution test runs on.
    """
    directory = str(tmp_path_factory.mktemp("queue-postgres"))
    with database("postgres", directory) as url, live_server(url, directory, OPENQCS_EXECUTION_WORKERS="0",
                                                             OPENQCS_JOB_LEASE_SECONDS="3") as srv:
        yield srv


def start_worker(server, threads: int = 1) -> subprocess.Popen:
    env = {k: v for k, v in server.env.items()}
    with open(os.path.join(server.data_dir, "worker.log"), "ab") as log:  # the child keeps its own copy
        return subprocess.Popen([OPENQCS, "worker", "--threads", str(threads)], env=env, stdout=log, stderr=log,
                                start_new_session=True)


def stop_worker(process: subprocess.Popen) -> int:
    os.killpg(process.pid, signal.SIGTERM)
    return process.wait(30)


def jobs(server, ids):
    with server.ctx.db.session() as session:
        rows = {j.id: j for j in session.scalars(select(ExecutionJob).where(ExecutionJob.id.in_(ids)))}
    return [rows[i] for i in ids]


@pytest.mark.clients
def test_sdk_cancels_a_queued_job(queue_server, tmp_path):
    processor = add_processor(queue_server.ctx, processor_id="Queue-QPU")
    user = funded_user(queue_server.ctx)
    env = write_qcs_config(tmp_path, api_url=queue_server.base_url, grpc_url=queue_server.settings.grpc_url,
                           issuer=queue_server.settings.issuer, access_token=user.token)
    out = run_client("sdk", f"""
        import json
        from qcs_sdk.qpu.api import cancel_job, submit
        from qcs_sdk.qpu.translation import translate
        program = translate({BELL!r}, 10, {processor!r}).program
        kept, dropped = submit(program, {{}}, {processor!r}), submit(program, {{}}, {processor!r})
        cancel_job(dropped, {processor!r})
        print(json.dumps([kept, dropped]))
        """, env)
    kept, dropped = out
    stubs = Stubs(queue_server, user.token)
    try:
        status = stubs.call("GetControllerJobStatus", sc.GetControllerJobStatusRequest(job_id=kept))
        assert status.status == QUEUED
        assert status.estimated_job_completion_delay.maximum.ToNanoseconds() > 0
        cancelled = results(stubs, dropped)
        assert cancelled.status == mc.ControllerJobExecutionResult.USER_CANCELLATION
        assert [j.status for j in jobs(queue_server, [kept, dropped])] == ["queued", "cancelled"]
        # GetControllerJobResults blocks while the job waits, and answers once a worker ran it.
        waiting = stubs.controller.GetControllerJobResults.future(
            sc.GetControllerJobResultsRequest(job_execution_id=kept), metadata=stubs.metadata, timeout=30)
        time.sleep(1.0)
        assert not waiting.done()
        worker = start_worker(queue_server)
        try:
            assert waiting.result().result.status == mc.ControllerJobExecutionResult.SUCCESS
        finally:
            assert stop_worker(worker) == 0
        assert [j.status for j in jobs(queue_server, [kept, dropped])] == ["succeeded", "cancelled"]
    finally:
        stubs.channel.close()


def test_workers_share_the_queue_and_retry_a_dead_workers_job(queue_server):
    from openqcs.billing.models import LedgerEntry

    processor = add_processor(queue_server.ctx, processor_id="Queue-QPU")
    user = funded_user(queue_server.ctx)
    stubs = Stubs(queue_server, user.token)
    try:
        translated = translate(stubs, processor, BELL, shots=20)
        ids = execute(stubs, processor, translated, *[{}] * 6)
        # A worker takes the first job and dies without finishing it.
        dead = Worker(queue_server.ctx, name="dead-worker")
        held = dead.claim()
        assert held.id == ids[0]
        workers = [start_worker(queue_server), start_worker(queue_server, threads=2)]
        try:
            done = [results(stubs, job_id) for job_id in ids]
        finally:
            assert [stop_worker(w) for w in workers] == [0, 0]
        assert all(r.status == mc.ControllerJobExecutionResult.SUCCESS for r in done)
        rows = jobs(queue_server, ids)
        assert rows[0].attempts == 2 and rows[0].worker_id != "dead-worker"
        assert all(r.attempts == 1 for r in rows[1:])  # nobody ran a job twice
        # The dead worker's late result is dropped, not stored over the real one.
        dead.store(held, "failed", b"", 0)
        assert jobs(queue_server, ids[:1])[0].status == "succeeded"
        with queue_server.ctx.db.session() as session:
            billed = set(session.scalars(select(LedgerEntry.reference).where(
                LedgerEntry.product == "qpuJobCompletion", LedgerEntry.account_id == user.idp_id)))
        assert billed == set(ids)
    finally:
        stubs.channel.close()


def test_a_job_whose_workers_keep_dying_fails_with_a_message(queue_server):
    processor = add_processor(queue_server.ctx, processor_id="Queue-QPU")
    user = funded_user(queue_server.ctx)
    stubs = Stubs(queue_server, user.token)
    try:
        [job_id] = execute(stubs, processor, translate(stubs, processor, BELL, shots=5), {})
        try:
            for attempt in range(3):
                held = Worker(queue_server.ctx, name=f"dying-{attempt}").claim()
                assert held is not None and held.id == job_id
                queue_server.move_clock(10 * (attempt + 1))  # its lease runs out: the worker is gone
            assert Worker(queue_server.ctx, name="last").claim() is None
        finally:
            queue_server.move_clock(0)
        result = results(stubs, job_id)
        assert result.status == mc.ControllerJobExecutionResult.SERVICE_FAILURE
        assert "stopped 3 times" in result.status_message and "submit it again" in result.status_message
    finally:
        stubs.channel.close()
