"""``openqcs admin announcement create|list``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openqcs.commands import DatabaseUrl, DataDir
from openqcs.commands import admin_context as _context

if TYPE_CHECKING:
    from openqcs.viewer.models import Announcement

announcement_app = typer.Typer(help="Announcements shown to every user.", no_args_is_help=True)
groups = {"announcement": announcement_app}

_RELATIVE = re.compile(r"^(?P<n>\d+)(?P<unit>[mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_expiry(text: str, now: datetime) -> datetime:
    """``7d``/``12h``/``30m``/``2w`` from now, or an ISO 8601 time (UTC when it has no offset)."""
    match = _RELATIVE.match(text.strip())
    if match:
        return now + timedelta(**{_UNITS[match["unit"]]: int(match["n"])})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"'{text}' is neither a duration (7d, 12h) nor an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@announcement_app.command("create")
def create(
    content: Annotated[str, typer.Option("--content", help="HTML shown to users.")],
    title: Annotated[str, typer.Option("--title", help="Short title, shown as a heading.")] = "",
    expires: Annotated[str | None, typer.Option("--expires", help="7d, 12h, or an ISO 8601 time.")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Announce something to every user; prints the new announcement as JSON."""
    from openqcs.viewer.service import create_announcement

    with _context(database_url, data_dir) as ctx:
        now = ctx.clock.now()
        expires_time = parse_expiry(expires, now) if expires else None
        with ctx.db.session(write=True) as session:
            announcement = create_announcement(session, title=title, content_html=content, now=now,
                                               expires_time=expires_time)
            typer.echo(json.dumps(_as_dict(announcement)))


@announcement_app.command("list")
def list_(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Every announcement, newest first, one JSON object a line."""
    from openqcs.viewer.service import all_announcements

    with _context(database_url, data_dir) as ctx, ctx.db.session() as session:
        for announcement in all_announcements(session):
            typer.echo(json.dumps(_as_dict(announcement)))


def _as_dict(announcement: Announcement) -> dict[str, Any]:
    expires = announcement.expires_time
    return {"id": announcement.id, "title": announcement.title, "contentHtml": announcement.content_html,
            "createdAt": announcement.created_time.isoformat(), "expiresAt": expires.isoformat() if expires else None}
