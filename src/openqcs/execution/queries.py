"""Read-only views of the job queue for the person who ran the jobs (the web console)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from openqcs.errors import InvalidArgument
from openqcs.execution.models import ExecutionJob
from openqcs.identity.principal import Principal


@dataclass(frozen=True)
class MyJob:
    id: str
    processor_id: str
    account: str
    status: str
    status_message: str
    shots: int
    created_time: datetime
    started_time: datetime | None
    finished_time: datetime | None
    duration_us: int  # the simulated execution itself

    @property
    def wait_seconds(self) -> float | None:
        return None if self.started_time is None else max(0.0, (self.started_time - self.created_time).total_seconds())

    @property
    def run_seconds(self) -> float | None:
        if self.started_time is None or self.finished_time is None:
            return None
        return max(0.0, (self.finished_time - self.started_time).total_seconds())


def list_my_jobs(session: Session, viewer: Principal, *, limit: int = 100) -> list[MyJob]:
    """The newest jobs ``viewer`` submitted or that were billed to them or their groups (the jobs
    ``service.get_job`` lets them see, except that an administrator sees only their own here)."""
    if not 1 <= limit <= 1000:
        raise InvalidArgument(f"limit must be between 1 and 1000, not {limit}")
    theirs = or_(ExecutionJob.user_id == viewer.user_id,
                 and_(ExecutionJob.account_type == "user", ExecutionJob.account_id == viewer.idp_id),
                 and_(ExecutionJob.account_type == "group", ExecutionJob.account_id.in_(sorted(viewer.groups))))
    stmt = (select(ExecutionJob).where(theirs)
            .order_by(ExecutionJob.created_time.desc(), ExecutionJob.id.desc()).limit(limit))
    return [MyJob(j.id, j.processor_id, f"{j.account_type}:{j.account_id}", j.status, j.status_message, j.shots,
                  j.created_time, j.started_time, j.finished_time, j.duration_us) for j in session.scalars(stmt)]
