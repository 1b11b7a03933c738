"""Announcements made through the same service the admin CLI uses, on the live server's database."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from openqcs.viewer.service import create_announcement


@pytest.fixture
def announce(server):
    """``announce(expires_in=seconds)`` -> (id, content) of a new announcement."""

    def make(expires_in: float | None = None) -> tuple[int, str]:
        content = f"<p>note {secrets.token_hex(4)}</p>"
        now = server.ctx.clock.now()
        expires = now + timedelta(seconds=expires_in) if expires_in is not None else None
        with server.ctx.db.session(write=True) as session:
            return create_announcement(session, content_html=content, now=now, expires_time=expires).id, content

    return make
