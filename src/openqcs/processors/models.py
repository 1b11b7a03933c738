"""Quantum processors, their ISA versions, and who may see restricted ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openqcs.db.base import Base, UTCDateTime


class Processor(Base):
    __tablename__ = "quantum_processors"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    family: Mapped[str] = mapped_column(String(50), default="None")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    # Simulated without noise, whatever the calibration says.
    noiseless: Mapped[bool] = mapped_column(Boolean, default=False)
    # online | offline | degraded (set by an administrator to test clients' failure handling);
    # accessors of an offline processor are not live.
    status: Mapped[str] = mapped_column(String(10), default="online", server_default="online")
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessorAccess(Base):
    """Who may see a restricted (non-public) processor: a user (idpId) or a group (name)."""

    __tablename__ = "quantum_processor_access"
    __table_args__ = (UniqueConstraint("processor_id", "account_type", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    processor_id: Mapped[str] = mapped_column(ForeignKey("quantum_processors.id", ondelete="CASCADE"), index=True)
    account_type: Mapped[str] = mapped_column(String(10))  # "user" | "group"
    account_id: Mapped[str] = mapped_column(String(320))


class IsaVersion(Base):
    """One imported calibration. The API serves the newest; older ones are kept as history."""

    __tablename__ = "isa_versions"
    # The covering index answers "latest version and its etag" without reading the document
    # (on SQLite the etag column sits behind the large blob's overflow pages).
    __table_args__ = (UniqueConstraint("processor_id", "version"),
                      Index("ix_isa_versions_latest", "processor_id", "version", "etag"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    processor_id: Mapped[str] = mapped_column(ForeignKey("quantum_processors.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # The ISA as served: canonical JSON bytes, built once at import.
    document: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(64))
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessorGeneration(Base):
    """One row (id 1) whose ``value`` triggers bump on any change to processors, grants or ISAs
    (processors_0004); in-memory processor lists and ISA references check it."""

    __tablename__ = "processor_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
