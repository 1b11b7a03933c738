"""Cached principals never outlive a change: two replicas on one database both see a disabled
user, a lost membership or a restored one on their very next request."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, text

from openqcs.identity import service as identity
from openqcs.identity.authentication import GENERATION_SQL, authenticate
from openqcs.identity.principal import Principal
from tests.support.factories import make_user
from tests.support.replicas import two_replicas
from tests.support.server import LiveServer

ADMIN = Principal(0, "admin", "admin@example.test", frozenset(), True)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def replicas(request, tmp_path_factory):
    first, second = (str(tmp_path_factory.mktemp(f"replica-{request.param}-{i}")) for i in (1, 2))
    with two_replicas(request.param, first, second) as servers:
        yield servers


def _status(server: LiveServer, token: str, group: str) -> int:
    with server.raw_client(headers={"authorization": f"Bearer {token}"}) as client:
        return client.get(f"/v1/groups/{group}/reservations").status_code


def _statuses(replicas, token: str, group: str) -> list[int]:
    return [_status(server, token, group) for server in replicas]


def _warm(replicas, token: str, group: str) -> None:
    for _ in range(3):  # cached after the first; later ones are hits
        assert _statuses(replicas, token, group) == [200, 200]


def test_lost_and_regained_membership_is_seen_by_both_replicas_at_once(replicas):
    ctx = replicas[0].ctx
    user = make_user(ctx, groups=("cache-team",))
    _warm(replicas, user.token, "cache-team")
    with ctx.db.session(write=True) as session:
        identity.remove_group_user(session, ctx.clock, ADMIN, group_name="cache-team", user_email=user.email)
    assert _statuses(replicas, user.token, "cache-team") == [403, 403]
    with ctx.db.session(write=True) as session:
        identity.add_group_user(session, ctx.clock, ADMIN, group_name="cache-team", user_email=user.email)
    assert _statuses(replicas, user.token, "cache-team") == [200, 200]


def test_disabled_user_is_refused_by_both_replicas_on_the_next_request(replicas):
    ctx = replicas[0].ctx
    user = make_user(ctx, groups=("cache-disable",))
    _warm(replicas, user.token, "cache-disable")
    with ctx.db.session(write=True) as session:
        identity.set_disabled(session, ctx.clock, user.email)
    assert _statuses(replicas, user.token, "cache-disable") == [401, 401]
    with ctx.db.session(write=True) as session:
        identity.set_disabled(session, ctx.clock, user.email, disabled=False)
    assert _statuses(replicas, user.token, "cache-disable") == [200, 200]


def _generation(ctx) -> int:
    with ctx.db.session() as session:
        return session.scalar(text("SELECT value FROM auth_generation WHERE id = 1"))


def test_revoking_refresh_tokens_moves_the_generation_and_profile_edits_do_not(replicas):
    ctx = replicas[0].ctx
    user = make_user(ctx)
    with ctx.db.session(write=True) as session:
        from openqcs.identity.issuer import grant_for_user
        from openqcs.identity.models import User

        grant_for_user(ctx, session, session.get(User, user.id))
    before = _generation(ctx)
    with ctx.db.session(write=True) as session:
        session.get(User, user.id).first_name = "Renamed"
    assert _generation(ctx) == before
    with ctx.db.session(write=True) as session:
        identity.revoke_refresh_tokens(session, ctx.clock, user.id)
    assert _generation(ctx) > before


def test_a_known_token_is_answered_without_a_database_statement(replicas):
    ctx = replicas[0].ctx
    user = make_user(ctx, groups=("cache-hit",))
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", count)
    try:
        first = authenticate(ctx, f"Bearer {user.token}")
        misses = len(statements)
        second = authenticate(ctx, f"Bearer {user.token}")
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", count)
    assert first == second and first.in_group("cache-hit")
    assert misses >= 1  # the first sight looks the user up
    # The second is served from memory: at most the counter read (SQLite reads it outside the pool).
    assert statements[misses:] in ([], [GENERATION_SQL])


def test_a_wiped_counter_drops_the_cache_and_comes_back(replicas):
    """A state reset deletes every row, the counter's too: nothing cached before may count again,
    even if the counter were restored to its old value."""
    ctx = replicas[0].ctx
    user = make_user(ctx, groups=("cache-wipe",))
    _warm(replicas, user.token, "cache-wipe")
    old = _generation(ctx)
    with ctx.db.session(write=True) as session:
        session.execute(text("DELETE FROM auth_generation"))
        session.execute(text("DELETE FROM group_memberships WHERE user_id = :id"), {"id": user.id})
    assert _statuses(replicas, user.token, "cache-wipe") == [403, 403]
    deadline = time.monotonic() + 10
    while _generation(ctx) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _generation(ctx) is not None  # put back by the first replica that missed it
    with ctx.db.session(write=True) as session:
        session.execute(text("UPDATE auth_generation SET value = :old"), {"old": old})
    assert _statuses(replicas, user.token, "cache-wipe") == [403, 403]
