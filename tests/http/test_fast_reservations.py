"""GetReservation from memory under concurrency: on PostgreSQL concurrent reads share one
round trip (http/pgreads.py); each caller must still get exactly its own row, and only rows
it may see."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from openqcs.billing import service as billing
from openqcs.identity.accounts import Account
from tests.support.databases import postgres_database
from tests.support.factories import make_processor, make_user
from tests.support.server import live_server
from tests.support.tcpproxy import TcpProxy


def _funded_user(ctx):
    user = make_user(ctx)
    with ctx.db.session(write=True) as session:
        billing.credit(session, Account(user.idp_id, "user"), 10**6, note="test credit", at=ctx.clock.now())
    return user


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
    users = [_funded_user(ctx), _funded_user(ctx)]
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


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory):
    """PostgreSQL through a proxy the test can cut."""
    directory = str(tmp_path_factory.mktemp("proxied-reads"))
    with postgres_database() as url:
        proxy = TcpProxy("127.0.0.1", 5432)
        try:
            with live_server(url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), directory) as srv:
                yield srv, proxy
        finally:
            proxy.close()


def test_a_database_outage_gives_503_not_a_hang_and_reads_recover(proxied_server):
    server, proxy = proxied_server
    user = _funded_user(server.ctx)
    path = f"/v1/reservations/{_book(server, user, make_processor(server.ctx, prefix='Cut'), hours=1)}"
    with server.client(user.token) as client:
        assert client.get(path).status_code == 200  # the batched reader's connection is open now
        proxy.cut()
        try:
            down = client.get(path, timeout=30)
            assert down.status_code == 503 and down.json()["code"] == "unavailable"
        finally:
            proxy.restore()
        deadline = time.monotonic() + 20
        while (status := client.get(path).status_code) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status == 200, "GetReservation did not recover by itself"
