"""The demo seed: an admin, the demo user (known password) in group `demo`; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from openqcs.identity.models import User
from openqcs.identity.seed import seed_demo
from tests.identity.util import password_login, tokens_for


def test_seed_is_idempotent_and_the_demo_user_can_log_in(idserver):
    seed_demo(idserver.ctx)
    seed_demo(idserver.ctx)
    with idserver.ctx.db.session() as session:
        count = session.scalar(select(func.count()).select_from(User)
                               .where(User.email.in_(["admin@openqcs.local", "demo@openqcs.local"])))
        admin = session.scalar(select(User).where(User.email == "admin@openqcs.local"))
        assert count == 2 and admin.is_admin
    login = password_login(idserver, "demo@openqcs.local", "openqcs-demo")
    assert login.status_code == 200
    with idserver.client(login.json()["access_token"]) as api:
        users = api.get("/v1/groups/demo/users").json()["users"]
    assert [u["profile"]["email"] for u in users] == ["demo@openqcs.local"]
    with idserver.client(tokens_for(idserver, "admin@openqcs.local")["access_token"]) as api:
        assert api.get("/v1/groups/demo/users").status_code == 200
