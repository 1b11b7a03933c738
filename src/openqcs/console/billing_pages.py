"""Billing: an account's credit, its upcoming invoice and its finalized invoices with their lines."""

from __future__ import annotations

from litestar import Request, Response, get

from openqcs.billing import invoices
from openqcs.billing import service as billing
from openqcs.console import forms
from openqcs.console.reservation_pages import account_choices
from openqcs.console.web import render
from openqcs.context import AppContext
from openqcs.identity.accounts import require_account
from openqcs.identity.principal import Principal


@get("/billing", sync_to_thread=True)
def billing_page(request: Request, ctx: AppContext, me: Principal) -> Response:
    chosen = request.query_params.get("account") or "user"
    account = forms.account(chosen, me)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        require_account(session, me, account)
        credit = billing.balance_cents(session, account)
        upcoming = invoices.upcoming_invoice(session, account, now)
        finalized = invoices.finalized_invoices(session, account, now)
    return render(request, "billing.html", title="Billing", credit=credit, upcoming=upcoming, finalized=finalized,
                  accounts=account_choices(me), chosen=chosen, account=account)


ROUTES = [billing_page]
