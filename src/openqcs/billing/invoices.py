"""Billing customers and monthly invoices, computed from the immutable ledger.

One invoice per calendar month (UTC) in which the account has ledger entries. A month's invoice
is finalized (status ``paid``: credit is prepaid) once the month has ended by ``now``; the open
month is the upcoming invoice (status ``draft``). Amounts follow the spec's (Stripe's) signs:
lines are positive for charges and negative for credits and refunds; ``startingBalance`` is
negative when the account holds credit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openqcs.billing.models import BillingAccount, LedgerEntry
from openqcs.errors import NotFound
from openqcs.identity.accounts import Account
from openqcs.identity.models import Group, Membership, User


@dataclass(frozen=True)
class Customer:
    id: str
    email: str


@dataclass(frozen=True)
class Line:
    id: str
    invoice_item: str
    description: str
    amount: int  # cents, positive = charge
    quantity: int
    metadata: dict[str, str]
    created_time: datetime


@dataclass
class Invoice:
    id: str
    period_start: datetime
    period_end: datetime
    starting_balance: int
    status: str
    lines: list[Line] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)


def customer_key(account: Account) -> str:
    return hashlib.sha256(f"{account.type}\x1f{account.id}".encode()).hexdigest()[:16]


def customer(session: Session, account: Account) -> Customer:
    """The account's billing customer: the stored email, else the user's (a group's: its first member's)."""
    email = session.scalar(select(BillingAccount.email).where(
        BillingAccount.account_type == account.type, BillingAccount.account_id == account.id))
    if not email and account.type == "user":
        email = session.scalar(select(User.email).where(User.idp_id == account.id))
    elif not email:
        email = session.scalar(
            select(User.email).join(Membership, Membership.user_id == User.id)
            .join(Group, Group.id == Membership.group_id)
            .where(Group.name == account.id).order_by(Membership.created_time, User.id).limit(1))
    return Customer("cus_" + customer_key(account), email or "")


def month_start(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def invoice_id(account: Account, start: datetime) -> str:
    return f"in_{customer_key(account)}_{start:%Y%m}"


def _line(entry: LedgerEntry) -> Line:
    metadata = {"kind": entry.kind}
    if entry.product:
        metadata["product"] = entry.product
    if entry.reference:
        metadata["reference"] = entry.reference
    return Line(id="il_" + entry.item_id.removeprefix("ii_"), invoice_item=entry.item_id,
                description=entry.description or entry.kind, amount=-entry.amount_cents, quantity=entry.quantity,
                metadata=metadata, created_time=entry.created_time)


def _entries(session: Session, account: Account, start: datetime | None = None,
             end: datetime | None = None) -> Sequence[LedgerEntry]:
    stmt = select(LedgerEntry).where(LedgerEntry.account_type == account.type, LedgerEntry.account_id == account.id)
    if start is not None:
        stmt = stmt.where(LedgerEntry.created_time >= start)
    if end is not None:
        stmt = stmt.where(LedgerEntry.created_time < end)
    return session.scalars(stmt.order_by(LedgerEntry.created_time, LedgerEntry.id)).all()


def _credit_before(session: Session, account: Account, start: datetime) -> int:
    return int(session.execute(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.account_type == account.type, LedgerEntry.account_id == account.id,
        LedgerEntry.created_time < start)).scalar_one())


def finalized_invoices(session: Session, account: Account, now: datetime) -> list[Invoice]:
    """Invoices of the ended months with activity, newest first."""
    current = month_start(now)
    by_month: dict[datetime, list[LedgerEntry]] = {}
    for entry in _entries(session, account, end=current):
        by_month.setdefault(month_start(entry.created_time), []).append(entry)
    invoices, credit = [], 0
    for start in sorted(by_month):
        entries = by_month[start]
        invoices.append(Invoice(invoice_id(account, start), start, next_month(start), -credit, "paid",
                                [_line(e) for e in entries]))
        credit += sum(e.amount_cents for e in entries)
    return invoices[::-1]


def finalized_invoice(session: Session, account: Account, billing_invoice_id: str, now: datetime) -> Invoice:
    prefix = f"in_{customer_key(account)}_"
    if billing_invoice_id.startswith(prefix):
        for invoice in finalized_invoices(session, account, now):
            if invoice.id == billing_invoice_id:
                return invoice
    raise NotFound(f"billing invoice '{billing_invoice_id}' does not exist for this account")


def upcoming_invoice(session: Session, account: Account, now: datetime) -> Invoice:
    """The open month's invoice so far (up to ``now``)."""
    start = month_start(now)
    entries = [e for e in _entries(session, account, start=start, end=next_month(start)) if e.created_time <= now]
    return Invoice(invoice_id(account, start), start, next_month(start), -_credit_before(session, account, start),
                   "draft", [_line(e) for e in entries])
