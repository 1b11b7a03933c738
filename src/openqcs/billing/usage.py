"""Job usage: a finished job's completion and time, billed once at the month's tiers.

Tiers apply to the month's running total per account and product (``billing_usage_totals``),
kept beside the ledger so a charge never sums the account's history; a job's billed mark
(``billing_usage_jobs``) makes billing happen once whoever does it. Every function runs in the
caller's transaction (a Session, or a driver cursor's ``Transaction``) and never commits; the
statements go to the driver's cursor (``reservations/prepared.py``): the biller runs them for
every finished job.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, TextClause, bindparam, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from openqcs.billing import pricing
from openqcs.billing.models import UsageBilled, UsageTotal
from openqcs.billing.service import (
    ACCOUNTS,
    PRODUCTS,
    EventPriceInfo,
    event_price,
    new_item_id,
)
from openqcs.db.base import UTCDateTime
from openqcs.errors import InvalidArgument
from openqcs.identity.accounts import Account
from openqcs.reservations.prepared import Transaction


def month_of(at: datetime) -> str:
    """The usage month ("YYYY-MM", UTC) an event at ``at`` counts in."""
    return at.astimezone(UTC).strftime("%Y-%m")


_TOTALS = cast(Table, UsageTotal.__table__)
_BILLED = cast(Table, UsageBilled.__table__)


@functools.lru_cache(maxsize=8)
def _total_add(count: int) -> TextClause:
    """Adds to the month's totals of ``count`` products in one statement."""
    cases = " ".join(f"WHEN :p{i} THEN :q{i}" for i in range(count))
    products = ", ".join(f":p{i}" for i in range(count))
    return text(f"UPDATE billing_usage_totals SET quantity = quantity + CASE product {cases} ELSE 0 END "
                f"WHERE account_type = :t AND account_id = :a AND month = :m AND product IN ({products})")


_LEDGER_COLUMNS = ("item_id", "account_type", "account_id", "amount_cents", "kind", "product", "quantity",
                   "description", "reference", "created_time")


@functools.lru_cache(maxsize=64)
def _ledger_rows(count: int) -> TextClause:
    """``count`` ledger entries in one INSERT (text: a multi-row VALUES construct would compile
    on every call)."""
    rows = ", ".join("(" + ", ".join(f":{name}{i}" for name in _LEDGER_COLUMNS) + ")" for i in range(count))
    return text(f"INSERT INTO billing_ledger_entries ({', '.join(_LEDGER_COLUMNS)}) VALUES {rows}").bindparams(
        *(bindparam(f"created_time{i}", type_=UTCDateTime()) for i in range(count)))


ROWS_PER_STATEMENT = 32


@dataclass(frozen=True)
class _Upserts:
    """The usage statements of one dialect, built once (so they compile once)."""

    totals: tuple[Any, Any]  # locking one product's total, two products'
    balance: Any


@functools.cache
def _upserts(dialect: str) -> _Upserts:
    """Built on first use, for the dialect in use only: importing the other dialect would cost
    every start (PostgreSQL's is ~45 ms)."""
    module = "postgresql" if dialect == "postgresql" else "sqlite"
    insert_ = importlib.import_module(f"sqlalchemy.dialects.{module}").insert
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
    return _Upserts((totals[0], totals[1]), balance)


@functools.lru_cache(maxsize=64)
def _marks(count: int) -> TextClause:
    """Billed marks for ``count`` jobs, returning the references newly marked (text: a multi-row
    VALUES construct would compile on every call)."""
    return text("INSERT INTO billing_usage_jobs (reference, created_time) VALUES "
                + ", ".join(f"(:r{i}, :t{i})" for i in range(count))
                + " ON CONFLICT (reference) DO NOTHING RETURNING reference"
                ).bindparams(*(bindparam(f"t{i}", type_=UTCDateTime()) for i in range(count)))


def _lock_totals(tx: Transaction, account: Account, month: str, products: Sequence[str]) -> dict[str, int]:
    """The month's totals of ``products`` (one or two), their rows locked (created at 0) until the
    transaction ends."""
    params: dict[str, Any] = {}
    for i, product in enumerate(products):
        params |= {f"t{i}": account.type, f"a{i}": account.id, f"p{i}": product, f"m{i}": month}
    tx.run(_upserts(tx.dialect.name).totals[len(products) - 1], params)
    return {str(product): int(quantity) for product, quantity in tx.cursor.fetchall()}


def _add_to_balance(tx: Transaction, account: Account, amount: int, at: datetime) -> None:
    tx.run(_upserts(tx.dialect.name).balance,
           {"account_type": account.type, "account_id": account.id, "amount": amount, "at": at})


@contextmanager
def _in_session(session: Session) -> Iterator[Transaction]:
    """Statements on the driver cursor of the session's connection, in its transaction."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        yield Transaction(cursor, session.get_bind().dialect)
    finally:
        cursor.close()


@dataclass(frozen=True)
class Charge:
    product: str
    quantity: int
    cost: int  # cents, > 0


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
    with _in_session(session) as tx:
        entries = _charge(tx, account, month_of(at), [(reference, at, [(price, quantity)])])
    return str(entries[0]["item_id"]) if entries else None


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
    """``bill_jobs`` for one job, in the session's transaction."""
    with _in_session(session) as tx:
        return bill_jobs(tx, [(job, prices)]) == 1


def bill_jobs(tx: Transaction, jobs: Sequence[tuple[JobUsage, Mapping[str, EventPriceInfo]]]) -> int:
    """Bill jobs' completion and time at their prices (by product); returns how many were billed
    now. Once per job: one already billed, by this or another replica, is left alone (its
    mark's key; on PostgreSQL a concurrent biller of the same job waits for ours).

    On the transaction's driver cursor: the jobs' marks (one statement per 32), then per account
    and month the totals (locked), their increments, the balance and the entries — a batch of
    one account's jobs costs about as many statements as one job. Jobs, accounts and months are
    taken in one order by every biller, so billers never wait on each other in a cycle.
    """
    ordered = sorted(jobs, key=lambda item: item[0].reference)
    marked: set[str] = set()
    for first in range(0, len(ordered), ROWS_PER_STATEMENT):
        chunk = [job for job, _ in ordered[first:first + ROWS_PER_STATEMENT]]
        params: dict[str, Any] = {}
        for i, job in enumerate(chunk):
            params |= {f"r{i}": job.reference, f"t{i}": job.at}
        tx.run(_marks(len(chunk)), params)
        marked.update(str(row[0]) for row in tx.cursor.fetchall())
    groups: dict[tuple[str, str, str], list[tuple[JobUsage, Mapping[str, EventPriceInfo]]]] = {}
    for job, prices in ordered:
        if job.reference in marked:
            groups.setdefault((job.account.type, job.account.id, month_of(job.at)), []).append((job, prices))
    for (account_type, account_id, month), items in sorted(groups.items()):
        events = [(job.reference, job.at, [(prices[product], quantity) for product, quantity
                                           in zip(JOB_PRODUCTS, (1, job.duration_us), strict=True)])
                  for job, prices in items]
        _charge(tx, Account(account_id, account_type), month, events)
    return len(marked)


Event = tuple[str, datetime, list[tuple[EventPriceInfo, int]]]  # reference, time, (price, quantity) each


def _charge(tx: Transaction, account: Account, month: str, events: list[Event]) -> list[dict[str, Any]]:
    """Price one account's usage events of one month on its running totals (locked), in order,
    and charge what costs something; returns the ledger entries made.

    Tiers apply to the month's total, so an event costs amount(total + q) − amount(total). All
    usage counts in the total, also an event that rounds to no cent and so leaves no entry: the
    differences add up to the month's exact amount (a thousand 1.5 ms jobs pay for 1.5 s).
    """
    products = list(dict.fromkeys(price.product for _, _, usage in events for price, _ in usage))
    totals = _lock_totals(tx, account, month, products)
    added = dict.fromkeys(products, 0)
    entries = []
    for reference, at, usage in events:
        for price, quantity in usage:
            used = totals[price.product]
            cost = pricing.amount_cents(price.rule, used + quantity) - pricing.amount_cents(price.rule, used)
            totals[price.product] = used + quantity
            added[price.product] += quantity
            if cost > 0:
                entries.append(_entry(account, Charge(price.product, quantity, cost), price.unit_label, reference,
                                      at))
    increments = [(product, quantity) for product, quantity in added.items() if quantity]
    if increments:
        params: dict[str, Any] = {"t": account.type, "a": account.id, "m": month}
        for i, (product, quantity) in enumerate(increments):
            params |= {f"p{i}": product, f"q{i}": quantity}
        tx.run(_total_add(len(increments)), params)
    if entries:
        _add_to_balance(tx, account, sum(int(e["amount_cents"]) for e in entries), events[-1][1])
        for first in range(0, len(entries), ROWS_PER_STATEMENT):
            chunk = entries[first:first + ROWS_PER_STATEMENT]
            tx.run(_ledger_rows(len(chunk)),
                   {f"{name}{i}": entry[name] for i, entry in enumerate(chunk) for name in _LEDGER_COLUMNS})
    return entries


def usage_prices(session: Session, processor_id: str) -> dict[str, EventPriceInfo]:
    """The job products' prices on ``processor_id`` (``billing.rates`` keeps them in memory)."""
    return {product: event_price(session, product, processor_id) for product in JOB_PRODUCTS}


def is_billed(reference: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """Whether the job ``reference`` names has its usage billed (a primary-key seek), for a WHERE."""
    return select(_BILLED.c.reference).where(_BILLED.c.reference == reference).exists()
