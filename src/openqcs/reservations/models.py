"""Reservations of a processor's time, and its maintenance windows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openqcs.db.base import Base, UTCDateTime


class Reservation(Base):
    """A booked [start_time, end_time) on one processor for one account.

    Cancelling keeps the row (``cancelled``). On PostgreSQL an exclusion constraint (added by
    the migration) forbids two non-cancelled rows overlapping on the same processor.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        Index("ix_reservations_account", "account_type", "account_id"),
        # Live bookings by start: the overlap check seeks it. Partial (not cancelled) in the
        # database: reservations_0002 gives each dialect its WHERE. Not declared here, where
        # SQLAlchemy would import both dialects to check the arguments (PostgreSQL's: ~45 ms of
        # every start on SQLite); alembic's compare does not look at an index's WHERE.
        Index("ix_reservations_live_start", "processor_id", "start_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    processor_id: Mapped[str] = mapped_column(ForeignKey("quantum_processors.id", ondelete="CASCADE"), index=True)
    account_type: Mapped[str] = mapped_column(String(10))  # "user" | "group"
    account_id: Mapped[str] = mapped_column(String(320))
    created_by_type: Mapped[str] = mapped_column(String(10))
    created_by_id: Mapped[str] = mapped_column(String(320))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime)
    end_time: Mapped[datetime] = mapped_column(UTCDateTime)
    price: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    creation_invoice_item_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cancellation_invoice_item_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_time: Mapped[datetime] = mapped_column(UTCDateTime)


class MaintenanceWindow(Base):
    """A time the processor is unavailable; blocks bookings and appears in its calendar."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    processor_id: Mapped[str] = mapped_column(ForeignKey("quantum_processors.id", ondelete="CASCADE"), index=True)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime)
    end_time: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(String(200), default="Maintenance")
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
