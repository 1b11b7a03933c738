from __future__ import annotations

from sqlalchemy import Float, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openqcs.db.base import Base


class ServerSecret(Base):
    """Random keys every replica must share (page-token signing, job integrity)."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class Fault(Base):
    """A failure an administrator asked for (``/admin/v1/faults``): REST calls whose path starts
    with ``path`` (and whose method is ``method``, if set) wait ``latency_ms``, then a
    ``fraction`` of them is answered with ``status`` (0: only the delay)."""

    __tablename__ = "faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(300), default="/v1/")
    method: Mapped[str] = mapped_column(String(10), default="")
    status: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    fraction: Mapped[float] = mapped_column(Float, default=1.0)
    message: Mapped[str] = mapped_column(String(300), default="")
