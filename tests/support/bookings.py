"""Reservation helpers: aligned future slots, their wire form, credit and balance of an Account,
maintenance windows."""

from __future__ import annotations

from datetime import datetime, timedelta

from openqcs.billing import service as billing
from openqcs.identity.accounts import Account
from openqcs.reservations.service import align_up
from tests.support.factories import fund

PER_MINUTE = 10  # billing's default reservation price, cents per minute


def fund_account(ctx, account: Account, cents: int) -> None:
    """``factories.fund`` for an ``Account``."""
    fund(ctx, account.type, account.id, cents)


def booker(ctx, cents: int):
    """A new processor and a new user with ``cents`` on their own account: (processor, user, account)."""
    from tests.support.factories import make_processor, make_user

    processor, user = make_processor(ctx), make_user(ctx)
    account = Account(user.idp_id, "user")
    fund_account(ctx, account, cents)
    return processor, user, account


def balance(ctx, account: Account) -> int:
    with ctx.db.session() as session:
        assert billing.ledger_sum_cents(session, account) == billing.balance_cents(session, account)
        return billing.balance_cents(session, account)


def slot(ctx, *, days: float = 3, minutes: int = 0) -> datetime:
    """An aligned time ``days`` from now plus ``minutes``."""
    return align_up(ctx.clock.now() + timedelta(days=days)) + timedelta(minutes=minutes)


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def add_maintenance(ctx, processor_id: str, start: datetime, end: datetime, summary: str = "Maintenance") -> None:
    """What ``openqcs admin maintenance add`` does, without a subprocess."""
    from openqcs.reservations.service import add_maintenance as add

    with ctx.db.session(write=True) as session:
        add(session, processor_id, start, end, summary, ctx.clock.now())
