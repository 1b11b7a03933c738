"""Rigetti's qcs-api-client 0.27.x, unmodified, calls every billing operation (user and group)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from openqcs.billing import service
from openqcs.billing.invoices import month_start
from openqcs.identity.accounts import Account
from tests.support.clients import run_client, write_qcs_config
from tests.support.factories import make_user

SCRIPT = """
import json
from qcs_api_client.client import build_sync_client
from qcs_api_client.api.account import (
    get_group_balance, get_group_billing_customer, get_group_upcoming_billing_invoice, get_user_balance,
    get_user_billing_customer, get_user_event_billing_price, get_user_upcoming_billing_invoice,
    list_group_billing_invoice_lines, list_group_billing_invoices, list_group_upcoming_billing_invoice_lines,
    list_user_billing_invoice_lines, list_user_billing_invoices, list_user_upcoming_billing_invoice_lines)
from qcs_api_client.models import GetAccountEventBillingPriceRequest, Product
from qcs_api_client.util.errors import QCSHTTPStatusError

USER, GROUP, STRANGER = "USER_ID", "GROUP_NAME", "STRANGER_ID"
out = {}
with build_sync_client() as client:
    for kind, account, balance, customer, invoices, lines, upcoming, upcoming_lines in (
        ("user", USER, get_user_balance, get_user_billing_customer, list_user_billing_invoices,
         list_user_billing_invoice_lines, get_user_upcoming_billing_invoice, list_user_upcoming_billing_invoice_lines),
        ("group", GROUP, get_group_balance, get_group_billing_customer, list_group_billing_invoices,
         list_group_billing_invoice_lines, get_group_upcoming_billing_invoice,
         list_group_upcoming_billing_invoice_lines),
    ):
        r = {}
        r["balance"] = balance.sync(account, client=client).parsed.balance
        c = customer.sync(account, client=client).parsed
        r["customer"] = [c.id, c.email]
        page = invoices.sync(account, client=client, page_size=10).parsed
        r["invoices"] = [[i.id, i.status.value, i.subtotal, i.total, i.starting_balance, i.period_start.isoformat()]
                         for i in page.billing_invoices]
        r["invoices_next"] = isinstance(page.next_page_token, str)
        first = page.billing_invoices[0].id
        got = lines.sync(account, first, client=client, page_size=1).parsed
        amounts = [l.amount for l in got.billing_invoice_lines]
        token = got.next_page_token
        while isinstance(token, str) and token:
            got = lines.sync(account, first, client=client, page_size=1, page_token=token).parsed
            amounts += [l.amount for l in got.billing_invoice_lines]
            token = got.next_page_token
        r["lines"] = amounts
        r["line_types"] = sorted({l.line_item_type.value for l in got.billing_invoice_lines})
        u = upcoming.sync(account, client=client).parsed
        r["upcoming"] = [u.status.value, u.subtotal, u.starting_balance]
        ul = upcoming_lines.sync(account, client=client).parsed
        r["upcoming_lines"] = [[l.amount, l.description, l.invoice_item] for l in ul.billing_invoice_lines]
        out[kind] = r
    price = get_user_event_billing_price.sync(USER, client=client, body=GetAccountEventBillingPriceRequest(
        product=Product.QPUJOBCOMPLETION, quantum_processor_id="Aspen-M-3")).parsed
    out["price"] = [price.id, price.product.value, price.unit_amount_decimal, price.unit_label]
    for name, call in (("stranger_balance", lambda: get_user_balance.sync(STRANGER, client=client)),
                       ("stranger_invoices", lambda: list_user_billing_invoices.sync(STRANGER, client=client)),
                       ("unknown_invoice", lambda: list_user_billing_invoice_lines.sync(USER, "in_x", client=client))):
        try:
            out[name] = call().status_code
        except QCSHTTPStatusError as exc:
            out[name] = exc.response.status_code
print(json.dumps(out))
"""


@pytest.fixture(autouse=True)
def page_token_secret(server):
    """Create the page-token secret from the test process, so the server only reads it.

    Works around a server bug seen on SQLite: background threads started before granian forks
    its worker can leave SQLite's in-process lock state held in the worker, and the worker's
    first write then waits out the busy timeout. Billing reads never write; only this would.
    """
    assert server.ctx.signer is not None


def test_qcs_api_client_calls_every_billing_operation(server, tmp_path):
    group = "client-" + secrets.token_hex(4)
    user = make_user(server.ctx, groups=(group,))
    stranger = make_user(server.ctx)
    now = server.ctx.clock.now()
    last_month = month_start(now) - timedelta(days=3)
    with server.ctx.db.session(write=True) as s:
        for account in (Account(user.idp_id, "user"), Account(group, "group")):
            service.credit(s, account, 5000, note="Welcome credit", at=last_month)
            service.charge(s, account, 1500, product="reservationCreation", description="Reservation 1",
                           reference="r1", at=last_month + timedelta(hours=1))
            service.charge(s, account, 250, product="reservationCreation", description="Reservation 2",
                           reference="r2", at=now)
    env = write_qcs_config(tmp_path / "qcs", api_url=server.base_url, grpc_url=server.settings.grpc_url,
                           issuer=server.settings.issuer, access_token=user.token)
    script = SCRIPT.replace("USER_ID", user.idp_id).replace("GROUP_NAME", group).replace("STRANGER_ID",
                                                                                            stranger.idp_id)
    out = run_client("api", script, env)
    for kind in ("user", "group"):
        r = out[kind]
        assert r["balance"] == -(5000 - 1500 - 250)
        assert r["customer"][0].startswith("cus_")
        assert len(r["invoices"]) == 1 and r["invoices_next"] is False
        _invoice_id, status, subtotal, total, starting, period_start = r["invoices"][0]
        assert status == "paid" and subtotal == total == -3500 and starting == 0
        assert period_start.startswith(month_start(last_month).strftime("%Y-%m-01T00:00:00"))
        assert r["lines"] == [-5000, 1500] and r["line_types"] == ["invoiceitem"]
        assert r["upcoming"] == ["draft", 250, -3500]
        assert [line[:2] for line in r["upcoming_lines"]] == [[250, "Reservation 2"]]
        assert r["upcoming_lines"][0][2].startswith("ii_")
    assert out["user"]["customer"][1] == user.email
    assert out["group"]["customer"][1] == user.email  # the group's first member
    assert out["price"] == [0, "qpuJobCompletion", 1.0, "jobs"]
    assert out["stranger_balance"] == 403 and out["stranger_invoices"] == 403
    assert out["unknown_invoice"] == 404
