"""Demo data: a welcome announcement (once)."""

from __future__ import annotations

from sqlalchemy import select

from openqcs.context import AppContext
from openqcs.viewer.models import Announcement
from openqcs.viewer.service import create_announcement

WELCOME_TITLE = "Welcome to openqcs"
WELCOME_HTML = (
    "<p>This is a self-hosted Quantum Cloud Services. Point <code>pyquil</code>, "
    "<code>qcs-sdk-python</code> or <code>qcs-api-client</code> at it with "
    "<code>openqcs client-config</code>.</p>"
)


def seed_demo(ctx: AppContext) -> None:
    with ctx.db.session(write=True) as session:
        if session.scalar(select(Announcement.id).where(Announcement.title == WELCOME_TITLE).limit(1)) is None:
            create_announcement(session, title=WELCOME_TITLE, content_html=WELCOME_HTML, now=ctx.clock.now())
