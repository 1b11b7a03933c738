"""Bookings are priced from memory, yet a price set with `openqcs admin price …` is what both
replicas on one database charge on their very next booking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from openqcs.billing import cli
from openqcs.identity.accounts import Account
from tests.support.bookings import fund_account, iso, slot
from tests.support.factories import make_processor, make_user
from tests.support.replicas import two_replicas

runner = CliRunner()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def replicas(request, tmp_path_factory):
    first, second = (str(tmp_path_factory.mktemp(f"prices-{request.param}-{i}")) for i in (1, 2))
    with two_replicas(request.param, first, second) as servers:
        yield servers


def _admin(server, app, *args: str) -> None:
    result = runner.invoke(app, [*args, "--database-url", server.ctx.settings.db_url])
    assert result.exit_code == 0, result.output


def test_a_new_price_is_charged_by_both_replicas_on_the_next_booking(replicas):
    ctx = replicas[0].ctx
    processor = make_processor(ctx)
    user = make_user(ctx)
    fund_account(ctx, Account(user.idp_id, "user"), 10**6)
    starts = iter(slot(ctx, days=2) + timedelta(minutes=15 * i) for i in range(100))

    def book(server) -> int:
        start = next(starts)
        with server.client(user.token) as client:
            response = client.post("/v1/reservations", json={
                "quantumProcessorId": processor, "startTime": iso(start),
                "endTime": iso(start + timedelta(minutes=15))})
        assert response.status_code == 201, response.text
        return response.json()["price"]

    def offered(server) -> set[int]:
        with server.client(user.token) as client:
            response = client.get("/v1/reservations:findAvailable", params={
                "quantumProcessorId": processor, "startTimeFrom": iso(slot(ctx, days=1)), "duration": "15m"})
        assert response.status_code == 200, response.text
        return {window["price"] for window in response.json()["availableReservations"]}

    for server in replicas:
        assert [book(server) for _ in range(3)] == [150] * 3  # billing's default: 10 cents a minute
        assert offered(server) == {150}
    _admin(replicas[0], cli.price_app, "set", "--processor", processor, "--per-minute", "40")
    for server in replicas:
        assert book(server) == 600
        assert offered(server) == {600}
    _admin(replicas[1], cli.price_app, "set-event", "--product", "reservationCreation", "--scheme", "per_unit",
           "--unit-amount", "25", "--processor", processor)
    for server in replicas:
        assert book(server) == 625
        assert offered(server) == {625}
