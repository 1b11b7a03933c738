"""The billing operations over HTTP against a live server (both databases)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from openqcs.billing import service
from openqcs.billing.invoices import month_start, next_month
from openqcs.billing.pricing import PriceRule, Tier
from openqcs.identity.accounts import Account
from openqcs.processors.models import Processor
from tests.support.factories import make_user


@pytest.fixture(autouse=True)
def page_token_secret(server):
    """Create the page-token secret from the test process, so the server only reads it.

    Works around a server bug seen on SQLite: background threads started before granian forks
    its worker can leave SQLite's in-process lock state held in the worker, and the worker's
    first write then waits out the busy timeout. Billing reads never write; only this would.
    """
    assert server.ctx.signer is not None


def group_name() -> str:
    return "team-" + secrets.token_hex(4)


def long_token(server, user, groups: list[str]) -> str:
    token, _ = server.ctx.tokens.issue_access_token(subject=user.email, uid=user.idp_id, groups=groups,
                                                    ttl=40 * 86400)
    return token


def fund(server, account: Account, cents: int, *, charge: int = 0) -> None:
    now = server.ctx.clock.now()
    with server.ctx.db.session(write=True) as s:
        service.credit(s, account, cents, note="test credit", at=now)
        if charge:
            service.charge(s, account, charge, product="reservationCreation", description="Reservation r-1",
                           reference="r-1", at=now)


def test_user_balance_is_negative_credit_and_private(server, user, other_user):
    fund(server, Account(user.idp_id, "user"), 2500, charge=400)
    with server.client(user.token) as c:
        r = c.get(f"/v1/users/{user.idp_id}/balance")
        assert r.status_code == 200 and r.json() == {"balance": -2100}
        assert c.get(f"/v1/users/{other_user.idp_id}/balance").status_code == 403
    with server.client(other_user.token) as c:
        assert c.get(f"/v1/users/{other_user.idp_id}/balance").json() == {"balance": 0}
    with server.client() as c:
        assert c.get(f"/v1/users/{user.idp_id}/balance").status_code == 401


def test_group_balance_for_members_only(server, other_user):
    name = group_name()
    member = make_user(server.ctx, groups=(name,))
    fund(server, Account(name, "group"), 700)
    with server.client(member.token) as c:
        assert c.get(f"/v1/groups/{name}/balance").json() == {"balance": -700}
    with server.client(other_user.token) as c:
        r = c.get(f"/v1/groups/{name}/balance")
        assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_admin_sees_any_account_and_404_for_unknown(server, user, admin_user):
    fund(server, Account(user.idp_id, "user"), 50)
    with server.client(admin_user.token) as c:
        assert c.get(f"/v1/users/{user.idp_id}/balance").json() == {"balance": -50}
        assert c.get("/v1/users/u-nobody/balance").status_code == 404
        assert c.get(f"/v1/groups/{group_name()}/billingCustomer").status_code == 404


def test_billing_customers(server, user, other_user):
    name = group_name()
    first = make_user(server.ctx, groups=(name,))
    second = make_user(server.ctx, groups=(name,))
    with server.client(user.token) as c:
        r = c.get(f"/v1/users/{user.idp_id}/billingCustomer")
        assert r.status_code == 200
        body = r.json()
        assert body["email"] == user.email and body["id"].startswith("cus_")
        assert c.get(f"/v1/users/{user.idp_id}/billingCustomer").json() == body  # stable
        assert c.get(f"/v1/users/{other_user.idp_id}/billingCustomer").status_code == 403
        assert c.get(f"/v1/groups/{name}/billingCustomer").status_code == 403
    with server.client(second.token) as c:
        group = c.get(f"/v1/groups/{name}/billingCustomer").json()
        assert group["email"] == first.email and group["id"] != body["id"]


def test_upcoming_invoice_and_lines(server, user, other_user):
    account = Account(user.idp_id, "user")
    fund(server, account, 1000, charge=300)
    now = server.ctx.clock.now()
    with server.ctx.db.session(write=True) as s:
        service.refund(s, account, 100, description="Cancelled r-1", reference="r-1", at=now)
    with server.client(user.token) as c:
        inv = c.get(f"/v1/users/{user.idp_id}/billingInvoices:getUpcoming").json()
        assert inv["status"] == "draft" and inv["startingBalance"] == 0
        assert inv["subtotal"] == inv["total"] == -1000 + 300 - 100 and inv["tax"] == 0
        lines = c.get(f"/v1/users/{user.idp_id}/billingInvoices:listUpcomingLines").json()["billingInvoiceLines"]
        assert [line["amount"] for line in lines] == [-1000, 300, -100]
        assert lines[1]["description"] == "Reservation r-1" and lines[1]["metadata"]["reference"] == "r-1"
        assert all(line["lineItemType"] == "invoiceitem" and line["invoiceItem"].startswith("ii_") for line in lines)
        # pages of one line, followed to the end
        seen, token = [], None
        while True:
            params = {"pageSize": 1, **({"pageToken": token} if token else {})}
            page = c.get(f"/v1/users/{user.idp_id}/billingInvoices:listUpcomingLines", params=params).json()
            seen += [line["id"] for line in page["billingInvoiceLines"]]
            token = page.get("nextPageToken")
            if not token:
                break
        assert seen == [line["id"] for line in lines]
        # nothing finalized yet
        assert c.get(f"/v1/users/{user.idp_id}/billingInvoices").json() == {"billingInvoices": []}
        assert c.get(f"/v1/users/{user.idp_id}/billingInvoices:getUpcoming",
                     params={}).status_code == 200
    with server.client(other_user.token) as c:
        assert c.get(f"/v1/users/{user.idp_id}/billingInvoices:getUpcoming").status_code == 403
        assert c.get(f"/v1/users/{user.idp_id}/billingInvoices:listUpcomingLines").status_code == 403
        assert c.get(f"/v1/users/{user.idp_id}/billingInvoices").status_code == 403


def test_month_end_finalizes_the_invoice(server):
    name = group_name()
    account = Account(name, "group")
    fund(server, account, 5000, charge=1200)
    member = make_user(server.ctx, groups=(name,))
    outsider = make_user(server.ctx)
    # Tokens that outlive the clock move (issued now: the verifier checks iat on the wall clock).
    member_token = long_token(server, member, [name])
    outsider_token = long_token(server, outsider, [])
    real_now = server.ctx.clock.now()
    try:
        # Two days into next month: this month's invoice is final, the new month is open.
        server.move_clock((next_month(month_start(real_now)) - real_now + timedelta(days=2)).total_seconds())
        with server.client(member_token) as c:
            r = c.get(f"/v1/groups/{name}/billingInvoices")
            assert r.status_code == 200, r.text
            listed = r.json()["billingInvoices"]
            assert len(listed) == 1
            invoice = listed[0]
            assert invoice["status"] == "paid" and invoice["startingBalance"] == 0
            assert invoice["subtotal"] == invoice["total"] == -3800
            assert invoice["periodStart"].startswith(month_start(real_now).strftime("%Y-%m-01T00:00:00"))
            lines = c.get(f"/v1/groups/{name}/billingInvoices/{invoice['id']}/lines").json()["billingInvoiceLines"]
            assert [line["amount"] for line in lines] == [-5000, 1200]
            upcoming = c.get(f"/v1/groups/{name}/billingInvoices:getUpcoming").json()
            assert upcoming["startingBalance"] == -3800 and upcoming["subtotal"] == 0
            assert c.get(f"/v1/groups/{name}/billingInvoices:listUpcomingLines").json() == {"billingInvoiceLines": []}
            r = c.get(f"/v1/groups/{name}/billingInvoices/in_nope/lines")
            assert r.status_code == 404 and r.json()["code"] == "not_found"
        with server.client(outsider_token) as c:
            assert c.get(f"/v1/groups/{name}/billingInvoices/{invoice['id']}/lines").status_code == 403
            assert c.get(f"/v1/groups/{name}/billingInvoices").status_code == 403
            # another account's invoice id is not found under one's own account
            r = c.get(f"/v1/users/{outsider.idp_id}/billingInvoices/{invoice['id']}/lines")
            assert r.status_code == 404
    finally:
        server.move_clock(0)


def test_event_billing_price(server, user, other_user):
    path = f"/v1/users/{user.idp_id}/eventBillingPrices:get"
    with server.client(user.token) as c:
        r = c.post(path, json={"product": "qpuJobCompletion", "quantumProcessorId": "Ankaa-3"})
        assert r.status_code == 200
        assert r.json()["product"] == "qpuJobCompletion" and r.json()["unitLabel"] == "jobs"
        bad = c.post(path, json={"product": "teleportation"})
        assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
        assert c.post(path, json={}).status_code == 422
    pid = "Bill-" + secrets.token_hex(3)
    with server.ctx.db.session(write=True) as s:
        s.add(Processor(id=pid, family="Ankaa", public=True, noiseless=False, created_time=server.ctx.clock.now()))
        s.flush()
        service.set_event_price(s, "qpuJobTime", PriceRule("tiered", tiers_mode="graduated",
                                tiers=(Tier(1000, service.pricing.Decimal("0.5")), Tier(-1))),
                                processor_id=pid, at=server.ctx.clock.now())
    with server.client(user.token) as c:
        body = c.post(path, json={"product": "qpuJobTime", "quantumProcessorId": pid}).json()
        assert body["id"] > 0 and body["quantumProcessorId"] == pid and body["unitAmountDecimal"] == 0.5
        other = c.post(path, json={"product": "qpuJobTime", "quantumProcessorId": "elsewhere"}).json()
        assert other["id"] == 0 and "quantumProcessorId" not in other
    with server.client(other_user.token) as c:
        assert c.post(path, json={"product": "qpuJobTime"}).status_code == 403
