"""GetReservation answered by the raw fast path (SQLite) is byte for byte what Litestar answers,
always current (a cancellation shows at once), and refusals still come in the spec's words."""

from __future__ import annotations

from datetime import timedelta

from openqcs.identity import service as identity
from openqcs.identity.accounts import Account
from tests.support.bookings import fund_account, iso, slot
from tests.support.factories import make_processor, make_user


def test_get_reservation_is_the_same_document_either_way_and_always_current(server):
    ctx = server.ctx
    processor = make_processor(ctx)
    user, stranger = make_user(ctx), make_user(ctx)
    fund_account(ctx, Account(user.idp_id, "user"), 10_000)
    start = slot(ctx, days=4)
    with server.client(user.token) as client:
        booked = client.post("/v1/reservations", json={"quantumProcessorId": processor, "startTime": iso(start),
                                                       "endTime": iso(start + timedelta(minutes=30))})
        assert booked.status_code == 201, booked.text
        path = f"/v1/reservations/{booked.json()['id']}"
        warm = client.get(path)  # the booking's token is known: served from the fast path on SQLite
    fresh_token, _ = ctx.tokens.issue_access_token(subject=user.email, uid=user.idp_id, groups=[])
    with server.client(fresh_token) as client:
        first_sight = client.get(path)  # an unknown token: Litestar verifies it and answers
    assert warm.status_code == first_sight.status_code == 200
    assert warm.content == first_sight.content
    assert warm.headers["content-type"] == first_sight.headers["content-type"]
    assert warm.json()["cancelled"] is False and warm.json()["startTime"] == iso(start)

    with server.client(user.token) as client:
        assert client.delete(path).status_code == 200
        assert client.get(path).json()["cancelled"] is True
    with server.client(stranger.token) as client:
        for _ in range(2):
            refused = client.get(path)
            assert refused.status_code == 403 and refused.json()["code"] and refused.json()["requestId"]
        missing = client.get("/v1/reservations/987654321")
        assert missing.status_code == 404 and "987654321" in missing.json()["message"]
    with ctx.db.session(write=True) as session:
        identity.set_disabled(session, ctx.clock, user.email)
    with server.client(user.token) as client:  # its principal was cached: the next read is refused
        assert client.get(path).status_code == 401
