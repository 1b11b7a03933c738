"""What an administrator sees of the job queue: every user's jobs, and cancelling any of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from openqcs.errors import Conflict, InvalidArgument, NotFound
from openqcs.execution import notify
from openqcs.execution.controller import cancel_job
from openqcs.execution.models import FINISHED, QUEUED, RUNNING, STATUSES, ExecutionJob
from openqcs.identity.service import require_user_by_email


@dataclass(frozen=True)
class JobRow:
    id: str
    user: str
    account: str
    processor_id: str
    status: str
    shots: int
    attempts: int
    created_time: datetime
    started_time: datetime | None
    finished_time: datetime | None
    status_message: str
    program: str

    def run_seconds(self, now: datetime) -> float | None:
        """Seconds from start to end (to ``now`` while it runs); None before it started."""
        if self.started_time is None:
            return None
        end = self.finished_time or now
        return max(0.0, (end - self.started_time).total_seconds())


def _row(job: ExecutionJob, email: str) -> JobRow:
    return JobRow(job.id, email, f"{job.account_type}:{job.account_id}", job.processor_id, job.status, job.shots,
                  job.attempts, job.created_time, job.started_time, job.finished_time, job.status_message,
                  job.program)


def list_jobs(session: Session, *, user: str | None = None, processor_id: str | None = None,
              status: str | None = None, limit: int = 50) -> list[JobRow]:
    """The newest jobs of all users, filtered by user email (any case; NotFound for no such user),
    processor and status."""
    from openqcs.identity.models import User

    if status and status not in STATUSES:
        raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if not 1 <= limit <= 10_000:
        raise InvalidArgument(f"limit must be between 1 and 10000, not {limit}")
    stmt = (select(ExecutionJob, User.email).join(User, User.id == ExecutionJob.user_id)
            .order_by(ExecutionJob.created_time.desc(), ExecutionJob.id.desc()).limit(limit))
    if user:
        stmt = stmt.where(ExecutionJob.user_id == require_user_by_email(session, user).id)
    if processor_id:
        stmt = stmt.where(ExecutionJob.processor_id == processor_id)
    if status:
        stmt = stmt.where(ExecutionJob.status == status)
    return [_row(job, email) for job, email in session.execute(stmt)]


def get_job_row(session: Session, job_id: str) -> JobRow:
    from openqcs.identity.models import User

    found = session.execute(select(ExecutionJob, User.email).join(User, User.id == ExecutionJob.user_id)
                            .where(ExecutionJob.id == job_id)).first()
    if found is None:
        raise NotFound(f"job '{job_id}' not found")
    return _row(*found)


def cancel_any(session: Session, job_id: str, now: datetime) -> None:
    """Cancel a queued or running job of any user (its worker stops the simulation)."""
    job = session.scalar(select(ExecutionJob).where(ExecutionJob.id == job_id).with_for_update())
    if job is None:
        raise NotFound(f"job '{job_id}' not found")
    if job.status in FINISHED:
        raise Conflict(f"job '{job_id}' already {job.status}")
    running = job.status == RUNNING
    assert job.status in (QUEUED, RUNNING)
    cancel_job(job, now, "cancelled by an administrator" + (" while it ran" if running else ""))
    notify.publish_finished(session, [job_id])
