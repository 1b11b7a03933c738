"""Billing logic: the ledger (credits and debits, integer cents) and prices.

Every function takes the caller's Session and never commits: the caller owns the transaction,
so e.g. a reservation and its debit commit or roll back together.

Concurrency: every ledger write first locks the account's ``billing_accounts`` row
(``SELECT … FOR UPDATE`` on PostgreSQL; created on first use by an upsert), or, for a booking's
``debit``, decides and spends in one guarded UPDATE (which takes the same row lock). On SQLite
the caller's write transaction (BEGIN IMMEDIATE) already serializes writers.

Balance sign: internally (and from ``balance_cents``) a positive balance is credit to spend.
The API's ``AccountBalance`` uses the opposite sign (negative = credit), see ``routes.py``.
"""

from __future__ import annotations

import importlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from openqcs.billing import pricing
from openqcs.billing.models import BillingAccount, EventPrice, LedgerEntry, ProcessorPrice
from openqcs.errors import InvalidArgument, NotFound, PaymentRequired
from openqcs.identity.accounts import Account

PRODUCTS = ("reservationCreation", "qpuJobCompletion", "qpuJobTime")

# Used when `openqcs admin price set` has not priced a processor: 10 cents a minute ($6/hour).
DEFAULT_PER_MINUTE_CENTS = 10


@dataclass(frozen=True)
class EventPriceInfo:
    """A product's price as configured (``id`` 0: the built-in default)."""

    id: int
    product: str
    processor_id: str
    rule: pricing.PriceRule
    unit_label: str


# Used when no event price is configured for a product (amounts in cents per unit).
DEFAULT_EVENT_PRICES = {
    "reservationCreation": EventPriceInfo(0, "reservationCreation", "", pricing.PriceRule("per_unit", Decimal(0)),
                                          "reservations"),
    "qpuJobCompletion": EventPriceInfo(0, "qpuJobCompletion", "", pricing.PriceRule("per_unit", Decimal(1)), "jobs"),
    "qpuJobTime": EventPriceInfo(0, "qpuJobTime", "", pricing.PriceRule("per_unit", Decimal("0.0001")),
                                 "microseconds"),
}


# ---- ledger ---------------------------------------------------------------------------------


def _where(model: type[LedgerEntry] | type[BillingAccount], account: Account) -> tuple[ColumnElement[bool], ...]:
    return (model.account_type == account.type, model.account_id == account.id)


def lock_account(session: Session, account: Account, at: datetime) -> BillingAccount:
    """The account's billing row, locked until the caller's transaction ends (created if missing)."""
    stmt = (select(BillingAccount).where(*_where(BillingAccount, account))
            .with_for_update().execution_options(populate_existing=True))
    row = session.scalars(stmt).one_or_none()
    if row is None:
        dialect = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
        # Only the dialect in use is imported (see usage._upserts).
        insert_ = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
        session.execute(insert_(BillingAccount)
                        .values(account_type=account.type, account_id=account.id, balance_cents=0, created_time=at)
                        .on_conflict_do_nothing(index_elements=["account_type", "account_id"]))
        row = session.scalars(stmt).one()
    return row


def balance_cents(session: Session, account: Account, *, lock: bool = False) -> int:
    """Credit left to spend, in cents (the sum of the account's ledger entries).

    ``lock``: hold the account's row until the transaction ends, so spending decisions of one
    account (and its charges) happen one at a time."""
    stmt = select(BillingAccount.balance_cents).where(*_where(BillingAccount, account))
    value = session.scalar(stmt.with_for_update() if lock else stmt)
    return int(value or 0)


def ledger_sum_cents(session: Session, account: Account) -> int:
    """The balance recomputed from the ledger itself (for checks; equals ``balance_cents``)."""
    return int(session.execute(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                               .where(*_where(LedgerEntry, account))).scalar_one())


def _post(session: Session, row: BillingAccount, account: Account, amount: int, *, kind: str, at: datetime,
          product: str = "", quantity: int = 1, description: str = "", reference: str = "") -> str:
    item_id = "ii_" + secrets.token_hex(12)
    session.add(LedgerEntry(item_id=item_id, account_type=account.type, account_id=account.id, amount_cents=amount,
                            kind=kind, product=product, quantity=quantity, description=description,
                            reference=reference, created_time=at))
    row.balance_cents = row.balance_cents + amount
    session.flush()
    return item_id


def _check_amount(amount_cents: int, *, positive: bool = False) -> None:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise InvalidArgument(f"amount must be whole cents, not {amount_cents!r}")
    if amount_cents < 0 or (positive and amount_cents == 0):
        raise InvalidArgument(f"amount must be {'>' if positive else '>='} 0 cents, not {amount_cents}")


def charge(session: Session, account: Account, amount_cents: int, *, product: str, description: str,
           reference: str, at: datetime) -> str:
    """Debit ``amount_cents``; return the billing invoice item id.

    Raises PaymentRequired (``insufficient_payment``) if the balance would go below zero.
    """
    _check_amount(amount_cents)
    row = lock_account(session, account, at)
    if row.balance_cents < amount_cents:
        raise PaymentRequired(f"insufficient balance: {amount_cents} cents needed, {row.balance_cents} available",
                              code="insufficient_payment")
    return _post(session, row, account, -amount_cents, kind="charge", product=product, description=description,
                 reference=reference, at=at)


def refund(session: Session, account: Account, amount_cents: int, *, description: str, reference: str,
           at: datetime) -> str:
    """Give ``amount_cents`` back (e.g. a cancelled reservation); return the invoice item id."""
    _check_amount(amount_cents)
    row = lock_account(session, account, at)
    return _post(session, row, account, amount_cents, kind="refund", description=description, reference=reference,
                 at=at)


def credit(session: Session, account: Account, amount_cents: int, *, note: str, at: datetime,
           reference: str = "") -> str:
    """An administrator's credit; return the invoice item id."""
    _check_amount(amount_cents, positive=True)
    row = lock_account(session, account, at)
    return _post(session, row, account, amount_cents, kind="credit", description=note or "Credit",
                 reference=reference, at=at)


class Statements(Protocol):
    """A transaction that runs Core statements (``reservations.prepared.Transaction``)."""

    def run(self, statement: ClauseElement, params: Mapping[str, Any]) -> None: ...

    def one(self, statement: ClauseElement, params: Mapping[str, Any]) -> tuple[Any, ...] | None: ...


ACCOUNTS = cast(Table, BillingAccount.__table__)
_LEDGER = cast(Table, LedgerEntry.__table__)
# Decides and debits in one statement: on PostgreSQL it waits for the account row's lock and
# re-checks the balance on the row as committed, so two debits can never both spend one credit.
_DEBIT = (update(ACCOUNTS)
          .where(ACCOUNTS.c.account_type == bindparam("account_type"),
                 ACCOUNTS.c.account_id == bindparam("account_id"),
                 ACCOUNTS.c.balance_cents >= bindparam("amount"))
          .values(balance_cents=ACCOUNTS.c.balance_cents - bindparam("amount"))
          .returning(ACCOUNTS.c.balance_cents))
_BALANCE = select(ACCOUNTS.c.balance_cents).where(ACCOUNTS.c.account_type == bindparam("account_type"),
                                                   ACCOUNTS.c.account_id == bindparam("account_id"))
LEDGER_INSERT = insert(_LEDGER)


def new_item_id() -> str:
    return "ii_" + secrets.token_hex(12)


def debit(tx: Statements, account: Account, amount_cents: int, *, item_id: str, product: str, description: str,
          reference: str, at: datetime) -> None:
    """``charge`` in two statements: a guarded decrement of the balance, then the ledger entry
    ``item_id``. PaymentRequired (``insufficient_payment``) if the balance would go below zero."""
    _check_amount(amount_cents)
    keys = {"account_type": account.type, "account_id": account.id}
    if tx.one(_DEBIT, {**keys, "amount": amount_cents}) is None and amount_cents > 0:
        row = tx.one(_BALANCE, keys)  # only on the way to the refusal
        available = int(row[0]) if row is not None else 0
        raise PaymentRequired(f"insufficient balance: {amount_cents} cents needed, {available} available",
                              code="insufficient_payment")
    tx.run(LEDGER_INSERT, {"item_id": item_id, **keys, "amount_cents": -amount_cents, "kind": "charge",
                    "product": product, "quantity": 1, "description": description, "reference": reference,
                    "created_time": at})


# ---- prices ---------------------------------------------------------------------------------


def processor_price_per_minute(session: Session, processor_id: str) -> int:
    value = session.scalar(select(ProcessorPrice.per_minute_cents).where(ProcessorPrice.processor_id == processor_id))
    return DEFAULT_PER_MINUTE_CENTS if value is None else int(value)


@dataclass(frozen=True)
class ReservationRate:
    """What booking a processor costs: started minutes × ``per_minute_cents`` + ``creation_cents``."""

    per_minute_cents: int
    creation_cents: int

    def price_cents(self, start: datetime, end: datetime) -> int:
        seconds = (end - start).total_seconds()
        if seconds <= 0:
            raise InvalidArgument("a reservation must end after it starts")
        return -(-int(seconds) // 60) * self.per_minute_cents + self.creation_cents


def reservation_rate(session: Session, processor_id: str) -> ReservationRate:
    """The processor's rate (``billing.rates.rate_cache`` keeps it in memory)."""
    creation = pricing.amount_cents(event_price(session, "reservationCreation", processor_id).rule, 1)
    return ReservationRate(processor_price_per_minute(session, processor_id), creation)


def reservation_price_cents(session: Session, processor_id: str, start: datetime, end: datetime) -> int:
    """Price of reserving ``processor_id`` from ``start`` to ``end``: started minutes × price per minute,
    plus the ``reservationCreation`` event price (0 unless configured)."""
    return reservation_rate(session, processor_id).price_cents(start, end)


def set_processor_price(session: Session, processor_id: str, per_minute_cents: int, *, at: datetime) -> None:
    from openqcs.processors.service import require_processor

    _check_amount(per_minute_cents)
    try:
        require_processor(session, processor_id)
    except NotFound:
        raise InvalidArgument(f"no quantum processor '{processor_id}'") from None
    row = session.get(ProcessorPrice, processor_id)
    if row is None:
        session.add(ProcessorPrice(processor_id=processor_id, per_minute_cents=per_minute_cents, updated_time=at))
    else:
        row.per_minute_cents, row.updated_time = per_minute_cents, at
    session.flush()


def _info(row: EventPrice) -> EventPriceInfo:
    tiers = pricing.tiers_from_json(json.loads(row.tiers or "[]"))
    rule = pricing.PriceRule(row.scheme, Decimal(row.unit_amount), row.tiers_mode, tiers)
    return EventPriceInfo(row.id, row.product, row.processor_id, rule, row.unit_label)


def event_price(session: Session, product: str, processor_id: str = "") -> EventPriceInfo:
    """The price of ``product``: the processor's own, else the one for any processor, else the default."""
    if product not in PRODUCTS:
        raise InvalidArgument(f"product must be one of {', '.join(PRODUCTS)}, not {product!r}")
    rows = session.scalars(select(EventPrice).where(
        EventPrice.product == product, EventPrice.active.is_(True),
        EventPrice.processor_id.in_({processor_id, ""}))).all()
    rows = sorted(rows, key=lambda r: r.processor_id != processor_id)
    return _info(rows[0]) if rows else DEFAULT_EVENT_PRICES[product]


def set_event_price(session: Session, product: str, rule: pricing.PriceRule, *, at: datetime,
                    processor_id: str = "", unit_label: str | None = None) -> EventPriceInfo:
    """Create or replace the price of ``product`` (for one processor, or "" for all)."""
    if product not in PRODUCTS:
        raise InvalidArgument(f"product must be one of {', '.join(PRODUCTS)}, not {product!r}")
    pricing.validate(rule)
    label = unit_label if unit_label is not None else DEFAULT_EVENT_PRICES[product].unit_label
    row = session.scalars(select(EventPrice).where(EventPrice.product == product,
                                                   EventPrice.processor_id == processor_id)).one_or_none()
    if row is None:
        row = EventPrice(product=product, processor_id=processor_id)
        session.add(row)
    row.scheme, row.unit_amount, row.tiers_mode = rule.scheme, str(rule.unit_amount), rule.tiers_mode
    row.tiers = json.dumps(pricing.tiers_to_json(rule.tiers))
    row.unit_label, row.active, row.updated_time = label, True, at
    session.flush()
    return _info(row)
