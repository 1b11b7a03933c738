"""Authorization matrix (OWASP API1, broken object level authorization).

Alice (group team-a) owns a reservation, an endpoint, a group membership, a profile and a
funded account. Bob (group team-b) and an anonymous caller try every operation on Alice's
things. Each attempt must be refused with the spec's 401/403/404 (never Alice's data), and the
database must be exactly as it was before they tried.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, inspect, select, table, text

from openqcs.db.engine import normalize_url
from openqcs.domains import submodules
from openqcs.http.contract import operations
from tests.support.factories import fund, funded_user, grant_processor, make_reference_processor, make_user

REFUSED = {401, 403, 404}


def snapshot(url: str) -> dict[str, list]:
    """Every row of every table, in a stable order."""
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            names = sorted(n for n in inspect(conn).get_table_names() if n != "alembic_version")
            return {n: sorted(repr(tuple(r)) for r in conn.execute(select(text("*")).select_from(table(n))))
                    for n in names}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def world(server):
    ctx = server.ctx
    for module in submodules("seed"):
        module.seed_demo(ctx)
    suffix = secrets.token_hex(3)
    team_a, team_b = f"team-a-{suffix}", f"team-b-{suffix}"
    alice = funded_user(ctx, groups=(team_a,), cents=10_000_000)
    bob = make_user(ctx, groups=(team_b,))
    fund(ctx, "user", bob.idp_id, 10_000_000)
    restricted = make_reference_processor(ctx, source="Aspen-8", processor_id=f"Private-{suffix}", public=False,
                                          noiseless=False)
    grant_processor(ctx, restricted, "group", team_a)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    with server.client(alice.token) as client:
        reservation = client.post("/v1/reservations", json={
            "quantumProcessorId": "Aspen-M-3", "startTime": start.isoformat(),
            "endTime": (start + timedelta(minutes=15)).isoformat()})
        assert reservation.status_code == 201, reservation.text
        group_reservation = client.post("/v1/reservations", json={
            "quantumProcessorId": "Aspen-M-3", "accountId": team_a, "accountType": "group",
            "startTime": (start + timedelta(hours=1)).isoformat(),
            "endTime": (start + timedelta(hours=1, minutes=15)).isoformat()})
        assert group_reservation.status_code == 201, group_reservation.text
        endpoint = client.post("/v1/endpoints", json={"quantumProcessorIds": ["Aspen-M-3"]})
        assert endpoint.status_code == 201, endpoint.text
        profile = client.put("/v1/viewer/userProfile",
                             json={"firstName": "Alice", "lastName": "Owner", "organization": "A Lab"})
        assert profile.status_code == 200, profile.text
        invoices = client.get(f"/v1/users/{alice.idp_id}/billingInvoices").json()
    return {
        "alice": alice, "bob": bob, "team_a": team_a, "restricted": restricted,
        "reservation": reservation.json()["id"], "group_reservation": group_reservation.json()["id"],
        "endpoint": endpoint.json()["id"],
        "invoice": (invoices.get("billingInvoices") or [{"id": "in_none"}])[0]["id"],
    }


def attempts(w) -> list[tuple[str, str, str, dict]]:
    """(operation, method, path, request kwargs) aimed at Alice's resources."""
    a, g, r, e, p = w["alice"].idp_id, w["team_a"], w["reservation"], w["endpoint"], w["restricted"]
    inv = w["invoice"]
    future = (datetime.now(UTC) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    slot = {"startTime": future.isoformat(), "endTime": (future + timedelta(minutes=15)).isoformat()}
    return [
        ("GetReservation", "GET", f"/v1/reservations/{r}", {}),
        ("GetReservation", "GET", f"/v1/reservations/{w['group_reservation']}", {}),
        ("DeleteReservation", "DELETE", f"/v1/reservations/{r}", {}),
        ("DeleteReservation", "DELETE", f"/v1/reservations/{w['group_reservation']}", {}),
        ("CreateReservation", "POST", "/v1/reservations",
         {"json": {"quantumProcessorId": "Aspen-M-3", "accountId": a, "accountType": "user", **slot}}),
        ("CreateReservation", "POST", "/v1/reservations",
         {"json": {"quantumProcessorId": "Aspen-M-3", "accountId": g, "accountType": "group", **slot}}),
        ("CreateReservation", "POST", "/v1/reservations",
         {"json": {"quantumProcessorId": "Aspen-M-3", **slot},
          "headers": {"X-QCS-ACCOUNT-ID": g, "X-QCS-ACCOUNT-TYPE": "group"}}),
        ("ListReservations", "GET", "/v1/reservations",
         {"headers": {"X-QCS-ACCOUNT-ID": a, "X-QCS-ACCOUNT-TYPE": "user"}}),
        ("ListGroupReservations", "GET", f"/v1/groups/{g}/reservations", {}),
        ("GetQuantumProcessorCalendar", "GET", f"/v1/calendars/{p}", {}),
        ("GetQuantumProcessor", "GET", f"/v1/quantumProcessors/{p}", {}),
        ("GetInstructionSetArchitecture", "GET", f"/v1/quantumProcessors/{p}/instructionSetArchitecture", {}),
        ("GetQuantumProcessorAccessors", "GET", f"/v1/quantumProcessors/{p}/accessors", {}),
        ("GetDefaultEndpoint", "GET", f"/v1/quantumProcessors/{p}/endpoints:getDefault", {}),
        ("GetEndpoint", "GET", f"/v1/endpoints/{e}", {}),
        ("DeleteEndpoint", "DELETE", f"/v1/endpoints/{e}", {}),
        ("RestartEndpoint", "POST", f"/v1/endpoints/{e}:restart", {}),
        ("CreateEngagement", "POST", "/v1/engagements", {"json": {"endpointId": e}}),
        ("CreateEngagement", "POST", "/v1/engagements", {"json": {"quantumProcessorId": p}}),
        ("CreateEngagement", "POST", "/v1/engagements",
         {"json": {"quantumProcessorId": "Aspen-M-3", "accountId": g, "accountType": "group"}}),
        ("GetUserBalance", "GET", f"/v1/users/{a}/balance", {}),
        ("GetUserBillingCustomer", "GET", f"/v1/users/{a}/billingCustomer", {}),
        ("ListUserBillingInvoices", "GET", f"/v1/users/{a}/billingInvoices", {}),
        ("ListUserBillingInvoiceLines", "GET", f"/v1/users/{a}/billingInvoices/{inv}/lines", {}),
        ("GetUserUpcomingBillingInvoice", "GET", f"/v1/users/{a}/billingInvoices:getUpcoming", {}),
        ("ListUserUpcomingBillingInvoiceLines", "GET", f"/v1/users/{a}/billingInvoices:listUpcomingLines", {}),
        ("GetUserEventBillingPrice", "POST", f"/v1/users/{a}/eventBillingPrices:get",
         {"json": {"product": "reservationCreation"}}),
        ("GetGroupBalance", "GET", f"/v1/groups/{g}/balance", {}),
        ("GetGroupBillingCustomer", "GET", f"/v1/groups/{g}/billingCustomer", {}),
        ("ListGroupBillingInvoices", "GET", f"/v1/groups/{g}/billingInvoices", {}),
        ("ListGroupBillingInvoiceLines", "GET", f"/v1/groups/{g}/billingInvoices/{inv}/lines", {}),
        ("GetGroupUpcomingBillingInvoice", "GET", f"/v1/groups/{g}/billingInvoices:getUpcoming", {}),
        ("ListGroupUpcomingBillingInvoiceLines", "GET", f"/v1/groups/{g}/billingInvoices:listUpcomingLines", {}),
        ("ListUserGroups", "GET", f"/v1/users/{a}/groups", {}),
        ("ListGroupUsers", "GET", f"/v1/groups/{g}/users", {}),
        ("AddGroupUser", "POST", "/v1/groups:addUser", {"json": {"groupName": g, "userId": w["bob"].idp_id}}),
        ("RemoveGroupUser", "POST", "/v1/groups:removeUser", {"json": {"groupName": g, "userId": a}}),
    ]


def _ids_in(body: object) -> str:
    return json.dumps(body)


@pytest.mark.parametrize("caller", ["bob", "anonymous"])
def test_nobody_else_reaches_alices_resources(server, world, caller):
    token = world["bob"].token if caller == "bob" else None
    before = snapshot(server.settings.db_url)
    failures = []
    with server.client(token) as client:
        for op, method, path, kwargs in attempts(world):
            response = client.request(method, path, **kwargs)
            allowed = {401} if caller == "anonymous" and operations()[op]["security"] == ["JWTBearer"] else REFUSED
            if response.status_code not in allowed:
                failures.append(f"{op} {method} {path}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)
    assert snapshot(server.settings.db_url) == before, "a refused request changed the database"


def test_lists_never_show_alices_resources_to_bob(server, world):
    alice = world["alice"]
    with server.client(world["bob"].token) as client:
        reservations = client.get("/v1/reservations", params={"pageSize": 100})
        endpoints = client.get("/v1/endpoints", params={"pageSize": 100})
        processors = client.get("/v1/quantumProcessors", params={"pageSize": 100})
    assert reservations.status_code == endpoints.status_code == processors.status_code == 200
    assert all(r["accountId"] != alice.idp_id for r in reservations.json()["reservations"])
    assert world["endpoint"] not in _ids_in(endpoints.json())
    assert world["restricted"] not in _ids_in(processors.json())


def test_alice_and_her_group_do_reach_them(server, world):
    """The same calls succeed for the owner, so the refusals above are about who asks."""
    with server.client(world["alice"].token) as client:
        assert client.get(f"/v1/reservations/{world['reservation']}").status_code == 200
        assert client.get(f"/v1/endpoints/{world['endpoint']}").status_code == 200
        assert client.get(f"/v1/quantumProcessors/{world['restricted']}").status_code == 200
        assert client.get(f"/v1/groups/{world['team_a']}/balance").status_code == 200
        assert client.get(f"/v1/users/{world['alice'].idp_id}/balance").status_code == 200


def test_every_bearer_operation_refuses_anonymous_callers(server):
    """Generic sweep over the contract: JWTBearer operations answer 401 without a token."""
    with server.client() as client:
        for op in operations().values():
            if op["security"] != ["JWTBearer"]:
                continue
            path = op["path"].replace("{", "").replace("}", "")
            response = client.request(op["method"], path, json={} if op["requestBody"] else None)
            assert response.status_code == 401, f"{op['operationId']}: {response.status_code}"
            assert response.json()["code"] == "unauthorized"
