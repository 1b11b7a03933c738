"""Announcement rules in the service and the CLI's expiry parsing, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import typer
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from openqcs.errors import InvalidArgument
from openqcs.viewer.cli import parse_expiry
from openqcs.viewer.models import Announcement
from openqcs.viewer.service import content_html, create_announcement

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Announcement.__table__.create(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


@pytest.mark.parametrize("kwargs, field", [
    ({"content_html": "  "}, "contentHtml"),
    ({"content_html": "<p>x</p>", "title": "t" * 201}, "title"),
    ({"content_html": "<p>x</p>", "expires_time": NOW}, "expires"),
    ({"content_html": "<p>x</p>", "expires_time": NOW - timedelta(days=1)}, "expires"),
])
def test_bad_announcements_are_refused(session, kwargs, field):
    with pytest.raises(InvalidArgument) as caught:
        create_announcement(session, now=NOW, **kwargs)
    assert caught.value.problems[0].path == (field,)
    assert session.query(Announcement).count() == 0


def test_the_title_is_escaped_into_a_heading(session):
    announcement = create_announcement(session, title="A <b> & c", content_html="<p>x</p>", now=NOW)
    assert content_html(announcement) == "<h3>A &lt;b&gt; &amp; c</h3><p>x</p>"


@pytest.mark.parametrize("text, expected", [
    ("30m", NOW + timedelta(minutes=30)),
    ("12h", NOW + timedelta(hours=12)),
    ("7d", NOW + timedelta(days=7)),
    ("2w", NOW + timedelta(weeks=2)),
    ("2026-12-01T08:00", datetime(2026, 12, 1, 8, tzinfo=UTC)),
    ("2026-12-01T08:00+02:00", datetime(2026, 12, 1, 6, tzinfo=UTC)),
])
def test_expiry_accepts_durations_and_iso_times(text, expected):
    assert parse_expiry(text, NOW) == expected


def test_expiry_rejects_anything_else():
    with pytest.raises(typer.BadParameter):
        parse_expiry("next tuesday", NOW)
