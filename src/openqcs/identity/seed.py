"""Demo identities: an admin, a demo user with a known password, and a group holding the demo user."""

from __future__ import annotations

from sqlalchemy import select

from openqcs.context import AppContext
from openqcs.identity import service
from openqcs.identity.models import Group, Membership

ADMIN_EMAIL = "admin@openqcs.local"
DEMO_EMAIL = "demo@openqcs.local"
DEMO_PASSWORD = "openqcs-demo"
DEMO_GROUP = "demo"


def seed_demo(ctx: AppContext) -> None:
    """Idempotent: existing users and memberships are left as they are."""
    with ctx.db.session(write=True) as session:
        if service.user_by_email(session, ADMIN_EMAIL) is None:
            # The demo password too, so the console's admin pages can be tried on a demo server.
            service.create_user(session, ctx.clock, ADMIN_EMAIL, password=DEMO_PASSWORD, admin=True,
                                first_name="openqcs", last_name="Admin").activated = True
        demo = service.user_by_email(session, DEMO_EMAIL)
        if demo is None:
            demo = service.create_user(session, ctx.clock, DEMO_EMAIL, password=DEMO_PASSWORD, first_name="Demo",
                                       last_name="User", organization="openqcs")
        group = session.scalar(select(Group).where(Group.name == DEMO_GROUP))
        if group is None:
            group = service.create_group(session, ctx.clock, DEMO_GROUP, "Demo group")
        session.flush()
        if session.get(Membership, (group.id, demo.id)) is None:
            session.add(Membership(group_id=group.id, user_id=demo.id, created_time=ctx.clock.now()))
