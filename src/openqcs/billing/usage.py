"""Job usage: a finished job's completion and time, billed once at the month's tiers.

Tiers apply to the month's running total per account and product (``billing_usage_totals``),
kept beside the ledger so a charge never sums the account's history; a job's billed mark
(``billing_usage_jobs``) makes billing happen once whoever does it. Like ``service``, every
function takes the caller's Session and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from openqcs.billing import pricing
from openqcs.billing.models import UsageBilled, UsageTotal
from openqcs.billing.service import (
    ACCOUNTS,
    LEDGER_INSERT,
    PRODUCTS,
    EventPriceInfo,
    event_price,
    new_item_id,
)
from openqcs.errors import InvalidArgument
from openqcs.identity.accounts import Account


def month_of(at: datetime) -> str:
    """The usage month ("YYYY-MM", UTC) an event at ``at`` counts in."""
    return at.astimezone(UTC).strftime("%Y-%m")


_TOTALS = cast(Table, UsageTotal.__table__)
_BILLED = cast(Table, UsageBilled.__table__)
_TOTAL_KEY = ("account_type", "account_id", "product", "month")
# Adds to the month's total of the products that cost something.
_TOTAL_ADD = (update(_TOTALS)
              .where(*(_TOTALS.c[name] == bindparam("k_" + name) for name in _TOTAL_KEY))
              .values(quantity=_TOTALS.c.quantity + bindparam("add")))


@dataclass(frozen=True)
class _Upserts:
    """The usage statements of one dialect, built once (so they compile once)."""

    mark: Any
    totals: tuple[Any, Any]  # locking one product's total, two products'
    balance: Any


def _build(dialect: str) -> _Upserts:
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    mark = (insert_(_BILLED).values(reference=bindparam("reference"), created_time=bindparam("at"))
            .on_conflict_do_nothing(index_elements=["reference"]).returning(_BILLED.c.reference))
    # Text: SQLAlchemy does not cache a multi-row VALUES (it would compile on every call).
    totals = [text("INSERT INTO billing_usage_totals (account_type, account_id, product, month, quantity) VALUES "
                   + ", ".join(f"(:t{i}, :a{i}, :p{i}, :m{i}, 0)" for i in range(count))
                   + " ON CONFLICT (account_type, account_id, product, month)"
                   " DO UPDATE SET quantity = billing_usage_totals.quantity RETURNING product, quantity")
              for count in (1, 2)]
    balance = insert_(ACCOUNTS).values(account_type=bindparam("account_type"), account_id=bindparam("account_id"),
                                        balance_cents=bindparam("amount"), created_time=bindparam("at"))
    balance = balance.on_conflict_do_update(
        index_elements=["account_type", "account_id"],
        set_={"balance_cents": ACCOUNTS.c.balance_cents + balance.excluded.balance_cents})
    return _Upserts(mark, (totals[0], totals[1]), balance)


_UPSERTS = {dialect: _build(dialect) for dialect in ("postgresql", "sqlite")}


def _upserts(session: Session) -> _Upserts:
    return _UPSERTS["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]


def _lock_totals(session: Session, account: Account, month: str, products: Sequence[str]) -> dict[str, int]:
    """The month's totals of ``products`` (one or two), their rows locked (created at 0) until the
    transaction ends."""
    params: dict[str, Any] = {}
    for i, product in enumerate(products):
        params |= {f"t{i}": account.type, f"a{i}": account.id, f"p{i}": product, f"m{i}": month}
    rows = session.execute(_upserts(session).totals[len(products) - 1], params).all()
    return {str(product): int(quantity) for product, quantity in rows}


def _add_to_balance(session: Session, account: Account, amount: int, at: datetime) -> None:
    session.execute(_upserts(session).balance,
                    {"account_type": account.type, "account_id": account.id, "amount": amount, "at": at})


@dataclass(frozen=True)
class Charge:
    product: str
    quantity: int
    cost: int  # cents, > 0


def _charges(session: Session, account: Account, month: str, usage: Sequence[tuple[EventPriceInfo, int]],
             ) -> list[Charge]:
    """Lock the month's totals, price each (product, quantity) on them and add what is charged.

    Tiers apply to the month's total, so an event costs amount(total + q) − amount(total). All
    usage counts in the total, also an event that rounds to no cent and so leaves no entry: the
    differences add up to the month's exact amount (a thousand 1.5 ms jobs pay for 1.5 s).
    """
    totals = _lock_totals(session, account, month, [price.product for price, _ in usage])
    charges = []
    for price, quantity in usage:
        used = totals[price.product]
        cost = pricing.amount_cents(price.rule, used + quantity) - pricing.amount_cents(price.rule, used)
        if cost > 0:
            charges.append(Charge(price.product, quantity, cost))
    keys = {"k_account_type": account.type, "k_account_id": account.id, "k_month": month}
    added = [{**keys, "k_product": price.product, "add": quantity} for price, quantity in usage if quantity]
    if added:
        session.execute(_TOTAL_ADD, added)
    return charges


def _entry(account: Account, charge: Charge, label: str, reference: str, at: datetime) -> dict[str, Any]:
    return {"item_id": new_item_id(), "account_type": account.type, "account_id": account.id,
            "amount_cents": -charge.cost, "kind": "usage", "product": charge.product, "quantity": charge.quantity,
            "description": f"{charge.product}: {charge.quantity} {label or 'units'}", "reference": reference,
            "created_time": at}


def record_usage(session: Session, account: Account, product: str, quantity: int, *, reference: str,
                 at: datetime, processor_id: str = "") -> str | None:
    """Charge usage of ``product`` (e.g. ``qpuJobCompletion`` 1, ``qpuJobTime`` microseconds) at its event price.

    Tiers apply to the month's total usage of the product, so each event is charged the
    difference it makes to that total. Usage has already happened, so this never refuses:
    the balance may go below zero (check ``balance_cents`` before accepting work).
    Returns the invoice item id, or None when the usage costs nothing.
    """
    if product not in PRODUCTS:
        raise InvalidArgument(f"product must be one of {', '.join(PRODUCTS)}, not {product!r}")
    if not isinstance(quantity, int) or quantity < 0:
        raise InvalidArgument(f"quantity must be a whole number >= 0, not {quantity!r}")
    price = event_price(session, product, processor_id)
    charges = _charges(session, account, month_of(at), [(price, quantity)])
    if not charges:
        return None
    entry = _entry(account, charges[0], price.unit_label, reference, at)
    _add_to_balance(session, account, -charges[0].cost, at)
    session.execute(LEDGER_INSERT, [entry])
    return str(entry["item_id"])


@dataclass(frozen=True)
class JobUsage:
    """A finished job's usage: one completion and ``duration_us`` of QPU time."""

    reference: str  # the job id
    account: Account
    processor_id: str
    duration_us: int
    at: datetime


JOB_PRODUCTS = ("qpuJobCompletion", "qpuJobTime")


def bill_job(session: Session, job: JobUsage, prices: Mapping[str, EventPriceInfo]) -> bool:
    """Bill a job's completion and time at ``prices`` (by product) in at most five statements: the
    job's billed mark, the month's totals (locked), their increment, the balance, the entries.

    Once per job: False (nothing done) when it is billed already, by this or another replica
    (the mark's key; on PostgreSQL a concurrent biller of the same job waits for ours)."""
    marked = session.execute(_upserts(session).mark, {"reference": job.reference, "at": job.at}).first()
    if marked is None:
        return False
    usage = [(prices[product], quantity) for product, quantity in zip(JOB_PRODUCTS, (1, job.duration_us),
                                                                       strict=True)]
    charges = _charges(session, job.account, month_of(job.at), usage)
    if charges:
        labels = {price.product: price.unit_label for price, _ in usage}
        _add_to_balance(session, job.account, -sum(c.cost for c in charges), job.at)
        entries = [_entry(job.account, c, labels[c.product], job.reference, job.at) for c in charges]
        session.execute(LEDGER_INSERT, entries)
    return True


def usage_prices(session: Session, processor_id: str) -> dict[str, EventPriceInfo]:
    """The job products' prices on ``processor_id`` (``billing.rates`` keeps them in memory)."""
    return {product: event_price(session, product, processor_id) for product in JOB_PRODUCTS}


def is_billed(reference: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """Whether the job ``reference`` names has its usage billed (a primary-key seek), for a WHERE."""
    return select(_BILLED.c.reference).where(_BILLED.c.reference == reference).exists()
