"""Announcements shown to every user, and who dismissed which."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openqcs.db.base import Base, UTCDateTime


class Announcement(Base):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    # Written by an administrator and served as is (the spec's ``contentHtml``).
    content_html: Mapped[str] = mapped_column(Text)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # None: never expires.
    expires_time: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AnnouncementDismissal(Base):
    __tablename__ = "announcement_dismissals"

    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
