"""Known client applications and the versions this server supports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from openqcs.db.base import Base, UTCDateTime


class ClientApplication(Base):
    __tablename__ = "client_applications"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    latest_version: Mapped[str] = mapped_column(String(50))
    minimum_version: Mapped[str | None] = mapped_column(String(50))
    details_uri: Mapped[str | None] = mapped_column(String(500))
    supported: Mapped[bool] = mapped_column(Boolean, default=True)
    # The spec's ClientApplicationsDownloadLink objects, as served.
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_time: Mapped[datetime] = mapped_column(UTCDateTime)
