"""The job queue in the database: claim a job fairly, hold it by a lease, store its end.

Several workers (``openqcs serve``'s and ``openqcs worker`` processes) share the queue: on
PostgreSQL a claim is ``SELECT … FOR UPDATE SKIP LOCKED``; on SQLite claims serialize on the
write lock. A job whose lease ran out was held by a dead worker and is taken again, up to
MAX_ATTEMPTS times; then it fails.

Fair sharing: the next job is the oldest of the account served least recently, so one
account's burst of jobs takes turns with another account's single job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from sqlalchemy import ColumnElement, CursorResult, LargeBinary, Table, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from openqcs.context import AppContext
from openqcs.db.base import UTCDateTime
from openqcs.execution import metrics, notify, results
from openqcs.execution.models import FAILED, QUEUED, RUNNING, SUCCEEDED, ExecutionJob
from openqcs.execution.usage import Biller, Usage, bill
from openqcs.identity.accounts import Account
from openqcs.reservations.prepared import write_transaction

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Claimed:
    id: str
    processor_id: str
    program: str
    shots: int
    memory: dict[str, list[float]]
    attempts: int = 1
    created_time: datetime | None = None


def _takeable(now: Any) -> ColumnElement[bool]:
    return or_(ExecutionJob.status == QUEUED, and_(ExecutionJob.status == RUNNING, ExecutionJob.lease_until < now))


def _fair_order() -> tuple[Any, ...]:
    served = aliased(ExecutionJob)
    # ORDER BY … LIMIT 1, not max(): an index seek, where max() here reads all the account's jobs.
    last_served = (select(served.started_time)
                   .where(served.account_type == ExecutionJob.account_type,
                          served.account_id == ExecutionJob.account_id, served.started_time.is_not(None))
                   .order_by(served.started_time.desc()).limit(1)
                   .correlate(ExecutionJob).scalar_subquery())
    return last_served.asc().nulls_first(), ExecutionJob.created_time, ExecutionJob.id


# Built once (every claim and submission runs them): only ``now`` changes.
_NOW = bindparam("now", type_=UTCDateTime())
ANY_TAKEABLE = select(ExecutionJob.id).where(_takeable(_NOW)).limit(1)
_NEXT = select(ExecutionJob).where(_takeable(_NOW)).order_by(*_fair_order()).limit(1)
_NEXT_LOCKED = _NEXT.with_for_update(of=ExecutionJob, skip_locked=True)


def anything_takeable(session: Session, now: datetime) -> bool:
    return session.scalar(ANY_TAKEABLE, {"now": now}) is not None


def _claimed(job: ExecutionJob) -> Claimed:
    return Claimed(job.id, job.processor_id, job.program, job.shots, msgspec.json.decode(job.memory.encode()),
                   job.attempts, job.created_time)


def start(job: ExecutionJob, worker_id: str, lease: timedelta, now: datetime) -> Claimed:
    """Mark ``job`` running for ``worker_id`` (a claim, or a new job handed to an idle worker)."""
    job.status, job.worker_id = RUNNING, worker_id
    job.attempts = (job.attempts or 0) + 1
    job.lease_until = now + lease
    job.started_time = now
    return _claimed(job)


def finish(job: ExecutionJob, status: str, result: bytes, now: datetime, duration_us: int = 0) -> None:
    job.status, job.result, job.finished_time = status, result, now
    job.duration_us, job.lease_until = duration_us, None
    if status != SUCCEEDED:
        job.status_message = results.pb.ControllerJobExecutionResult.FromString(result).status_message


def _abandon_message(attempts: int, why: str = "") -> str:
    return (f"the job's worker stopped {attempts} times while running it{why}; submit it again "
            "(with fewer qubits or shots if it ran out of memory)")


def claim(ctx: AppContext, worker_id: str, lease: timedelta, *, look: bool = True) -> Claimed | None:
    """Take the next job (fair order) for ``worker_id``; None when there is none.

    Jobs whose workers died MAX_ATTEMPTS times are failed on the way, in the same transaction.
    ``look``: read first whether there is any (a polling worker should not take SQLite's write
    lock at every poll); skip it when woken because a job was just queued.
    """
    if look:
        with ctx.db.session() as session:
            if not anything_takeable(session, ctx.clock.now()):
                return None
    abandoned: list[str] = []
    try:
        with ctx.db.session(write=True) as session:
            now = ctx.clock.now()
            stmt = _NEXT if ctx.db.is_sqlite else _NEXT_LOCKED
            while True:
                job = session.scalar(stmt, {"now": now})
                if job is None:
                    return None
                if job.status == RUNNING and job.attempts >= MAX_ATTEMPTS:
                    finish(job, FAILED, results.service_failure(_abandon_message(job.attempts)), now)
                    abandoned.append(job.id)
                    notify.publish_finished(session, [job.id])
                    session.flush()
                    continue
                return start(job, worker_id, lease, now)
    finally:
        for job_id in abandoned:
            metrics.transition(job_id, FAILED, reason="abandoned")
        notify.finished(abandoned)


def renew(ctx: AppContext, job_id: str, worker_id: str, lease: timedelta) -> bool:
    """Extend the lease; False when the job is no longer this worker's (cancelled, or taken over)."""
    with ctx.db.session(write=True) as session:
        done = session.execute(update(ExecutionJob).where(
            ExecutionJob.id == job_id, ExecutionJob.worker_id == worker_id, ExecutionJob.status == RUNNING,
        ).values(lease_until=ctx.clock.now() + lease))
        return cast("CursorResult[Any]", done).rowcount == 1


def still_mine(ctx: AppContext, job_id: str, worker_id: str) -> bool:
    with ctx.db.session() as session:
        row = session.execute(select(ExecutionJob.status, ExecutionJob.worker_id)
                              .where(ExecutionJob.id == job_id)).first()
    return row is not None and row[0] == RUNNING and row[1] == worker_id


def store(ctx: AppContext, job: Claimed, worker_id: str, status: str, result: bytes, duration_us: int,
          biller: Biller | None = None) -> bool:
    """Record the job's end and bill it (through ``biller``, else at once); False when it was no
    longer this worker's (result dropped)."""
    now = ctx.clock.now()
    message = "" if status == SUCCEEDED else results.pb.ControllerJobExecutionResult.FromString(result).status_message
    # One statement on the driver's cursor (prepared.py): this is on the path of every result.
    with write_transaction(ctx.db) as tx:
        account = tx.one(_STORE, {"job_id": job.id, "worker": worker_id, "status": status, "result": result,
                                  "finished": now, "duration": duration_us, "message": message})
        if account is None:
            return False
        if not ctx.db.is_sqlite:
            tx.run(_NOTIFY_FINISHED, {"id": job.id})
    notify.finished([job.id], result)
    if status == SUCCEEDED:
        # Billed after the result is out, so billing never delays it; until its entry lands,
        # admission counts the finished job as outstanding (admission.OUTSTANDING).
        account_type, account_id, processor_id = account
        usage = Usage(job.id, Account(account_id, account_type), processor_id, int(duration_us), now)
        if biller is None:
            bill(ctx, [usage])
        else:
            biller.add(usage)
    return True


_JOBS = cast(Table, ExecutionJob.__table__)
_STORE = (update(_JOBS)
          .where(_JOBS.c.id == bindparam("job_id"), _JOBS.c.status == RUNNING, _JOBS.c.worker_id == bindparam("worker"))
          .values(status=bindparam("status"), result=bindparam("result", type_=LargeBinary()),
                  finished_time=bindparam("finished", type_=UTCDateTime()), duration_us=bindparam("duration"),
                  status_message=bindparam("message"), lease_until=None)
          .returning(_JOBS.c.account_type, _JOBS.c.account_id, _JOBS.c.processor_id))
_NOTIFY_FINISHED = select(func.pg_notify(notify.FINISHED_CHANNEL, bindparam("id")))


def release(ctx: AppContext, job: Claimed, worker_id: str, why: str) -> str | None:
    """The job's worker process died: queue it again, or fail it after MAX_ATTEMPTS.

    Returns the new status, None when the job was no longer this worker's.
    """
    with ctx.db.session(write=True) as session:
        row = session.scalar(select(ExecutionJob).where(ExecutionJob.id == job.id).with_for_update())
        if row is None or row.status != RUNNING or row.worker_id != worker_id:
            return None
        if row.attempts >= MAX_ATTEMPTS:
            finish(row, FAILED, results.service_failure(_abandon_message(row.attempts, why)), ctx.clock.now())
            notify.publish_finished(session, [job.id])
            status = FAILED
        else:
            row.status, row.worker_id, row.lease_until = QUEUED, None, None
            notify.publish_queued(session)
            status = QUEUED
    if status == FAILED:
        notify.finished([job.id])
    else:
        notify.queued()
    return status


def queue_depth(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ExecutionJob).where(ExecutionJob.status == QUEUED)) or 0)
