"""The queue on SQLite and PostgreSQL: a job whose workers kept dying is failed without locking the
database, and claims take turns between accounts."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import select

from openqcs.execution import queue
from openqcs.execution.models import ExecutionJob
from openqcs.execution.worker import Worker
from tests.support.databases import database
from tests.support.factories import make_reference_processor as add_processor
from tests.support.factories import make_user
from tests.support.programs import BELL
from tests.support.server import live_server


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def idle_server(request, tmp_path_factory):
    """A server that runs no jobs itself, so the test is the only worker."""
    directory = str(tmp_path_factory.mktemp(f"queue-{request.param}"))
    with database(request.param, directory) as url, live_server(url, directory, OPENQCS_EXECUTION_WORKERS="0") as srv:
        yield srv


def put_job(ctx, processor: str, user, *, status: str = "queued", attempts: int = 0, lease_seconds: float = 0,
            account: str | None = None, created_offset: float = 0.0) -> str:
    now = ctx.clock.now()
    job_id = f"job-test-{attempts}-{user.idp_id[-6:]}-{now.timestamp():.6f}-{created_offset}"
    with ctx.db.session(write=True) as session:
        session.add(ExecutionJob(
            id=job_id[:40], processor_id=processor, user_id=user.id, account_type="user",
            account_id=account or user.idp_id, program=BELL, shots=5, readout='{"ro": 2}', memory="{}",
            status=status, status_message="", duration_us=0, attempts=attempts, worker_id="gone" if attempts else None,
            lease_until=now + timedelta(seconds=lease_seconds) if status == "running" else None,
            created_time=now + timedelta(seconds=created_offset),
            started_time=now - timedelta(minutes=5) if status == "running" else None))
    return job_id[:40]


def status_of(ctx, job_id: str) -> tuple[str, str]:
    with ctx.db.session() as session:
        job = session.get(ExecutionJob, job_id)
        return job.status, job.status_message


def write_without_waiting(server) -> None:
    """A write from another connection that refuses to wait for a lock: raises if the database is locked."""
    url = server.settings.db_url
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("sqlite:///", 1)[1], timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE execution_jobs SET status_message = status_message")
            conn.execute("COMMIT")
        finally:
            conn.close()
    else:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            conn.execute("SET lock_timeout = '50ms'")
            conn.execute("UPDATE execution_jobs SET status_message = status_message")


def test_a_job_abandoned_after_its_attempts_fails_and_leaves_the_database_unlocked(idle_server):
    ctx = idle_server.ctx
    processor = add_processor(ctx, processor_id="Queue-Abandon")
    user = make_user(ctx)
    job_id = put_job(ctx, processor, user, status="running", attempts=queue.MAX_ATTEMPTS, lease_seconds=-60)
    # The claim fails the abandoned job and finds nothing else to run...
    assert Worker(ctx, name="survivor").claim() is None
    status, message = status_of(ctx, job_id)
    assert status == "failed"
    assert f"stopped {queue.MAX_ATTEMPTS} times" in message and "submit it again" in message
    # ...and holds no lock afterwards: another connection writes without waiting.
    write_without_waiting(idle_server)


def test_the_claim_after_an_abandoned_job_takes_the_next_one(idle_server):
    ctx = idle_server.ctx
    processor = add_processor(ctx, processor_id="Queue-Abandon")
    user = make_user(ctx)
    dead = put_job(ctx, processor, user, status="running", attempts=queue.MAX_ATTEMPTS, lease_seconds=-60)
    waiting = put_job(ctx, processor, user, created_offset=1)
    held = Worker(ctx, name="survivor").claim()
    assert held is not None and held.id == waiting
    assert status_of(ctx, dead)[0] == "failed"
    assert status_of(ctx, waiting)[0] == "running"
    write_without_waiting(idle_server)


def test_claims_take_turns_between_accounts(idle_server):
    ctx = idle_server.ctx
    processor = add_processor(ctx, processor_id="Queue-Fair")
    with ctx.db.session(write=True) as session:  # earlier tests' leftovers would be claimed first
        for job in session.scalars(select(ExecutionJob).where(ExecutionJob.status.in_(("queued", "running")))):
            job.status = "cancelled"
    burst_user, single_user = make_user(ctx), make_user(ctx)
    burst = [put_job(ctx, processor, burst_user, created_offset=i) for i in range(4)]
    single = put_job(ctx, processor, single_user, created_offset=10)  # submitted after the whole burst
    worker = Worker(ctx, name="fair")
    order = []
    for _ in range(5):
        job = worker.claim()
        order.append(job.id)
        worker.store(job, "succeeded", b"", 0)
    # The single job goes second, not after the other account's burst.
    assert order == [burst[0], single, *burst[1:]]


def test_postgres_notifications_reach_other_processes_watchers():
    """What `openqcs worker` processes rely on: a commit's pg_notify wakes a listener elsewhere."""
    import threading

    from openqcs.db.engine import Database
    from openqcs.execution import notify
    from tests.support.databases import postgres_database

    with postgres_database() as url:
        db = Database(url, pool_size=1, max_overflow=0)
        listener = notify.Listener(url).start()
        try:
            arrived = threading.Event()
            notify.JOB_QUEUED.clear()
            unwatch = notify.watch("job-notified", lambda result: arrived.set())
            deadline = time.monotonic() + 10
            while not notify.JOB_QUEUED.is_set() and time.monotonic() < deadline:  # listening has begun
                time.sleep(0.05)
            with db.session(write=True) as session:
                notify.publish_finished(session, ["job-notified"])
            assert arrived.wait(10)
            unwatch()
            notify.JOB_QUEUED.clear()
            with db.session(write=True) as session:
                notify.publish_queued(session)
            assert notify.JOB_QUEUED.wait(10)
        finally:
            listener.stop()
            db.dispose()
