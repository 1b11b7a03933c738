"""GetReservation from memory under concurrency: on PostgreSQL concurrent reads share one
round trip (http/pgreads.py); each caller must still get exactly its own row, and only rows
it may see."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from openqcs.billing import service as billing
from openqcs.identity.accounts import Account
from tests.support.factories import make_processor, make_user


def _book(server, user, processor: str, hours: int) -> int:
    start = (server.ctx.clock.now() + timedelta(days=5, hours=hours)).replace(minute=0, second=0, microsecond=0)
    with server.client(user.token) as client:
        booked = client.post("/v1/reservations", json={
            "quantumProcessorId": processor, "startTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endTime": (start + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert booked.status_code == 201, booked.text
    return int(booked.json()["id"])


def test_concurrent_reads_each_get_their_own_reservation(server):
    ctx = server.ctx
    processor = make_processor(ctx, prefix="Fast")
    users = [make_user(ctx), make_user(ctx)]
    for user in users:
        with ctx.db.session(write=True) as session:
            billing.credit(session, Account(user.idp_id, "user"), 10**6, note="test credit", at=ctx.clock.now())
    owned = {user.token: [_book(server, user, processor, hours=3 * i + k) for k in range(3)]
             for i, user in enumerate(users)}
    calls = [(token, rid) for token in owned for ids in owned.values() for rid in ids] * 10

    def get(call: tuple[str, int]) -> tuple[str, int, int, int | None]:
        token, rid = call
        with server.client(token) as client:
            response = client.get(f"/v1/reservations/{rid}")
        return token, rid, response.status_code, int(response.json()["id"]) if response.status_code == 200 else None

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(get, calls))
    for token, rid, status, got in results:
        if rid in owned[token]:
            assert (status, got) == (200, rid)
        else:
            assert status == 403
