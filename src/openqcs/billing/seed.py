"""Demo billing: credit for the demo user and group, and explicit default prices.

Idempotent: credit is added once per account (marked by its reference), and prices that
exist are left as they are.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openqcs.billing import service
from openqcs.billing.models import EventPrice, LedgerEntry, ProcessorPrice
from openqcs.context import AppContext
from openqcs.identity.accounts import Account
from openqcs.identity.models import Group, User
from openqcs.processors.models import Processor

DEMO_EMAIL = "demo@openqcs.local"
DEMO_GROUP = "demo"
DEMO_CREDIT_CENTS = 100_000  # $1,000.00
SEED_REFERENCE = "seed:demo-credit"


def _demo_accounts(session: Session) -> list[Account]:
    accounts = []
    idp_id = session.scalar(select(User.idp_id).where(User.email == DEMO_EMAIL))
    if idp_id:
        accounts.append(Account(idp_id, "user"))
    if session.scalar(select(Group.id).where(Group.name == DEMO_GROUP)) is not None:
        accounts.append(Account(DEMO_GROUP, "group"))
    return accounts


def seed_demo(ctx: AppContext) -> None:
    now = ctx.clock.now()
    with ctx.db.session(write=True) as session:
        for account in _demo_accounts(session):
            service.lock_account(session, account, now)  # serializes two seeders
            seeded = session.scalar(select(LedgerEntry.id).where(
                LedgerEntry.account_type == account.type, LedgerEntry.account_id == account.id,
                LedgerEntry.reference == SEED_REFERENCE).limit(1))
            if seeded is None:
                service.credit(session, account, DEMO_CREDIT_CENTS, note="Demo credit", at=now,
                               reference=SEED_REFERENCE)
        priced = set(session.scalars(select(ProcessorPrice.processor_id)))
        for processor_id in session.scalars(select(Processor.id)):
            if processor_id not in priced:
                service.set_processor_price(session, processor_id, service.DEFAULT_PER_MINUTE_CENTS, at=now)
        configured = set(session.scalars(select(EventPrice.product).where(EventPrice.processor_id == "")))
        for product, default in service.DEFAULT_EVENT_PRICES.items():
            if product not in configured:
                service.set_event_price(session, product, default.rule, at=now, unit_label=default.unit_label)
