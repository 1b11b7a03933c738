"""Announcements, profile and onboarding of the calling user (the viewer)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openqcs.errors import FieldProblem, InvalidArgument, NotFound
from openqcs.identity.models import User
from openqcs.viewer.models import Announcement, AnnouncementDismissal

NAME_MAX = 200  # the users table's column width
TITLE_MAX = 200
ID_MAX = 2**31 - 1  # an INTEGER column: larger ids cannot exist (and PostgreSQL would refuse to compare)


@dataclass(frozen=True)
class ViewedAnnouncement:
    announcement: Announcement
    active: bool
    dismissed: bool


def content_html(announcement: Announcement) -> str:
    """What users see: the title as a heading, then the administrator's HTML."""
    if not announcement.title:
        return announcement.content_html
    return f"<h3>{html.escape(announcement.title)}</h3>{announcement.content_html}"


def is_active(announcement: Announcement, now: datetime) -> bool:
    return announcement.expires_time is None or announcement.expires_time > now


def create_announcement(session: Session, *, content_html: str, now: datetime, title: str = "",
                        expires_time: datetime | None = None) -> Announcement:
    """A new announcement, shown to every user until it expires or they dismiss it."""
    if not content_html.strip():
        raise InvalidArgument.field("body", "contentHtml", "announcement content must not be empty")
    if len(title) > TITLE_MAX:
        raise InvalidArgument.field("body", "title", f"title must be at most {TITLE_MAX} characters")
    if expires_time is not None and expires_time <= now:
        raise InvalidArgument.field("body", "expires", "expiry time must be in the future")
    announcement = Announcement(title=title, content_html=content_html, created_time=now, expires_time=expires_time)
    session.add(announcement)
    session.flush()
    return announcement


def all_announcements(session: Session) -> list[Announcement]:
    """Every announcement, newest first (for administrators)."""
    return list(session.scalars(select(Announcement).order_by(Announcement.created_time.desc(),
                                                               Announcement.id.desc())))


def list_viewer_announcements(session: Session, user_id: int, *, now: datetime,
                              include_dismissed: bool = False) -> list[ViewedAnnouncement]:
    """Announcements for one user, newest first.

    By default only active ones the user has not dismissed. With ``include_dismissed`` the
    whole history: dismissed and expired ones too (``active`` tells them apart).
    """
    dismissed_ids = set(session.scalars(
        select(AnnouncementDismissal.announcement_id).where(AnnouncementDismissal.user_id == user_id)
    ))
    viewed = []
    for announcement in all_announcements(session):
        active = is_active(announcement, now)
        dismissed = announcement.id in dismissed_ids
        if include_dismissed or (active and not dismissed):
            viewed.append(ViewedAnnouncement(announcement, active, dismissed))
    return viewed


def dismiss_announcement(session: Session, user_id: int, announcement_id: int, *, now: datetime) -> None:
    """Hide an announcement from one user; dismissing twice is harmless. NotFound for an unknown id."""
    if not 1 <= announcement_id <= ID_MAX or session.get(Announcement, announcement_id) is None:
        raise NotFound(f"announcement {announcement_id} not found")
    already = session.scalar(select(exists().where(AnnouncementDismissal.announcement_id == announcement_id,
                                                   AnnouncementDismissal.user_id == user_id)))
    if already:
        return
    try:
        with session.begin_nested():
            session.add(AnnouncementDismissal(announcement_id=announcement_id, user_id=user_id, created_time=now))
    except IntegrityError:
        pass  # a concurrent dismissal by the same user won the race: same outcome


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("the authenticated user could not be found")
    return user


def update_profile(session: Session, user_id: int, *, first_name: str, last_name: str, organization: str) -> User:
    """Set the caller's name and organization. InvalidArgument names every field too long."""
    values = {"firstName": first_name, "lastName": last_name, "organization": organization}
    problems = [FieldProblem("body", f"{name} must be at most {NAME_MAX} characters", (name,))
                for name, value in values.items() if len(value) > NAME_MAX]
    # PostgreSQL cannot store NUL in text; no name needs control characters.
    problems += [FieldProblem("body", f"{name} must not contain control characters", (name,))
                 for name, value in values.items() if any(ord(c) < 32 or c == "\x7f" for c in value)]
    if problems:
        raise InvalidArgument("; ".join(p.message for p in problems), problems=problems)
    user = _user(session, user_id)
    user.first_name, user.last_name, user.organization = first_name, last_name, organization
    session.flush()
    return user


def onboarding_completed(session: Session, user_id: int) -> bool:
    return _user(session, user_id).onboarding_completed


def set_onboarding_completed(session: Session, user_id: int, completed: bool) -> bool:
    user = _user(session, user_id)
    user.onboarding_completed = completed
    session.flush()
    return user.onboarding_completed
