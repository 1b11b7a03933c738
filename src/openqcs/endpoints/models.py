"""Endpoints (entry points to processors), the processors each serves, and engagements."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openqcs.db.base import Base, UTCDateTime


class Endpoint(Base):
    """Owned by the user who created it; ``owner_id`` NULL means operated by openqcs itself.

    Health is computed, not stored: healthy once ``clock.now() >= healthy_after`` (provisioning
    and restarts push it forward). Deleting sets ``deleted_time`` so engagements keep their record.
    """

    __tablename__ = "endpoints"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True,
                                                 index=True)
    # The processor this is the default endpoint of (at most one per processor).
    default_for: Mapped[str | None] = mapped_column(ForeignKey("quantum_processors.id", ondelete="CASCADE"),
                                                    nullable=True, unique=True)
    datacenter: Mapped[str] = mapped_column(String(50))
    mock: Mapped[bool] = mapped_column(Boolean, default=False)
    # The server half of the ZeroMQ CURVE keys (Z85).
    server_public: Mapped[str] = mapped_column(String(40))
    server_secret: Mapped[str] = mapped_column(String(40))
    healthy_after: Mapped[datetime] = mapped_column(UTCDateTime)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EndpointProcessor(Base):
    __tablename__ = "endpoint_processors"

    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True)
    processor_id: Mapped[str] = mapped_column(ForeignKey("quantum_processors.id", ondelete="CASCADE"),
                                              primary_key=True, index=True)
    # Keeps quantumProcessorIds in the order the creator gave them.
    position: Mapped[int] = mapped_column(Integer, default=0)


class Engagement(Base):
    """One grant of access to an endpoint. Kept after it expires; the client secret is never stored."""

    __tablename__ = "engagements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    account_type: Mapped[str] = mapped_column(String(10))  # "user" | "group"
    account_id: Mapped[str] = mapped_column(String(320))
    client_public: Mapped[str] = mapped_column(String(40), unique=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    minimum_priority: Mapped[int] = mapped_column(Integer, default=0)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_time: Mapped[datetime] = mapped_column(UTCDateTime)
