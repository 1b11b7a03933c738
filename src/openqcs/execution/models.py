"""Controller jobs: one row per execution configuration, taken by workers from the queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openqcs.db.base import Base, UTCDateTime

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
STATUSES = (QUEUED, RUNNING, *FINISHED)


class ExecutionJob(Base):
    """A job: queued → running → succeeded | failed | cancelled.

    A worker holds a running job until ``lease_until``; it renews the lease while it works, so a
    job whose lease ran out belongs to a dead worker and is queued again.
    """

    __tablename__ = "execution_jobs"
    __table_args__ = (Index("ix_execution_jobs_status_created", "status", "created_time"),
                      # The fair claim order asks when each account was last served.
                      Index("ix_execution_jobs_account_started", "account_type", "account_id", "started_time"),
                      # Admission counts an account's queued, running and just-finished jobs.
                      Index("ix_execution_jobs_account_status", "account_type", "account_id", "status",
                            "finished_time"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    processor_id: Mapped[str] = mapped_column(ForeignKey("quantum_processors.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The account billed for the job: the reservation holder's, or the user's own.
    account_type: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[str] = mapped_column(String(320))
    program: Mapped[str] = mapped_column(Text)
    shots: Mapped[int] = mapped_column(Integer)
    # JSON: {register: length} of readout registers, and {name: [reals]} of memory patches.
    readout: Mapped[str] = mapped_column(Text)
    memory: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    status_message: Mapped[str] = mapped_column(Text, default="")
    # A serialized ControllerJobExecutionResult, once finished.
    result: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    duration_us: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    started_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
