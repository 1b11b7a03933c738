"""Reservations: find free slots, review the price, book, cancel (refund shown first), and the
caller's and their groups' bookings."""

from __future__ import annotations

from datetime import timedelta

from litestar import Request, Response, get, post

from openqcs.billing import service as billing
from openqcs.console import forms
from openqcs.console.web import redirect, render
from openqcs.context import AppContext
from openqcs.identity.accounts import Account, require_account
from openqcs.identity.principal import Principal
from openqcs.processors.service import list_processor_ids
from openqcs.reservations import flows, service

DURATIONS = {"15m": "15 minutes", "30m": "30 minutes", "1h": "1 hour", "2h": "2 hours", "4h": "4 hours"}
SHOWN_SLOTS = 12


def account_choices(me: Principal) -> list[tuple[str, str]]:
    return [("user", f"Me ({me.email})")] + [(f"group:{g}", f"Group {g}") for g in sorted(me.groups)]


@get("/reservations", sync_to_thread=True)
def reservations(request: Request, ctx: AppContext, me: Principal) -> Response:
    params = request.query_params
    now = ctx.clock.now()
    slots, searched = [], params.get("processor") and params.get("duration")
    with ctx.db.session() as session:
        processors = list_processor_ids(session, me)
        mine = service.account_reservations(session, Account.of_user(me), include_cancelled=True)
        groups = {g: service.account_reservations(session, Account(g, "group"), include_cancelled=True)
                  for g in sorted(me.groups)}
        if searched:
            start = forms.when(params.get("start"), "Start from") if params.get("start") else now
            duration = service.parse_go_duration(params.get("duration"))
            slots = service.available_windows(session, me, params["processor"], start, duration, now=now,
                                              settings=ctx.settings)[:SHOWN_SLOTS]
    default_start = service.align_up(now + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M")
    return render(request, "reservations.html", title="Reservations", processors=processors, durations=DURATIONS,
                  accounts=account_choices(me), params=params, slots=slots, searched=searched, mine=mine, groups=groups,
                  default_start=default_start, now=now)


@get("/reservations/new", sync_to_thread=True)
def review(request: Request, ctx: AppContext, me: Principal) -> Response:
    """The booking as it would be made, with its price, before anything is charged."""
    params = request.query_params
    processor_id = params.get("processor") or ""
    start, end = forms.when(params.get("start"), "Start"), forms.when(params.get("end"), "End")
    account = forms.account(params.get("account"), me)
    with ctx.db.session() as session:
        require_account(session, me, account)
        service.check_slot(start, end, ctx.clock.now(), ctx.settings)
        price = billing.reservation_price_cents(session, processor_id, start, end)
        balance = billing.balance_cents(session, account)
    return render(request, "reservation_new.html", title="Confirm reservation", processor_id=processor_id,
                  start=start, end=end, account=account, account_raw=params.get("account") or "user", price=price,
                  balance=balance)


@post("/reservations", sync_to_thread=True)
def book(request: Request, ctx: AppContext, me: Principal, form: dict[str, str]) -> Response:
    processor_id = form.get("processor", "")
    start, end = forms.when(form.get("start"), "Start"), forms.when(form.get("end"), "End")
    account = forms.account(form.get("account"), me)
    booked = flows.create_reservation(ctx.db, me, account, processor_id, start, end, form.get("notes", "")[:500],
                                      now=ctx.clock.now(), settings=ctx.settings)
    message = (f"Reserved {booked.processor_id} from {booked.start_time:%Y-%m-%d %H:%M} to "
               f"{booked.end_time:%H:%M} UTC (reservation #{booked.id}), charged ${booked.price / 100:,.2f}.")
    return redirect(request, f"/console/processors/{processor_id}#calendar", flash=message)


@get("/reservations/{reservation_id:int}/cancel", sync_to_thread=True)
def review_cancel(request: Request, ctx: AppContext, me: Principal, reservation_id: int) -> Response:
    with ctx.db.session() as session:
        found = service.get_reservation(session, me, forms.record_id(reservation_id, "reservation"))
        refund = flows.refund_due(found, ctx.clock.now(), ctx.settings)
    return render(request, "reservation_cancel.html", title="Cancel reservation", reservation=found, refund=refund)


@post("/reservations/{reservation_id:int}/cancel", sync_to_thread=True)
def cancel(request: Request, ctx: AppContext, me: Principal, reservation_id: int, form: dict[str, str]) -> Response:
    now = ctx.clock.now()
    with ctx.db.session(write=True) as session:
        found = service.get_reservation(session, me, forms.record_id(reservation_id, "reservation"))
        refund = 0 if found.cancelled else flows.refund_due(found, now, ctx.settings)
        flows.cancel_reservation(session, me, reservation_id, now=now, settings=ctx.settings)
    return redirect(request, "/console/reservations",
                    flash=f"Cancelled reservation #{reservation_id}; refunded ${refund / 100:,.2f}.")


ROUTES = [reservations, review, book, review_cancel, cancel]
