"""Billing: one row per account (the lock and cached balance), the immutable ledger, prices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openqcs.db.base import Base, UTCDateTime


class BillingAccount(Base):
    """Created on first use. Writers lock this row (PostgreSQL) so debits never race.

    ``balance_cents`` is a cache of the sum of the account's ledger entries, updated in the
    same transaction as every entry; the ledger stays the truth.
    """

    __tablename__ = "billing_accounts"
    __table_args__ = (UniqueConstraint("account_type", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_type: Mapped[str] = mapped_column(String(10))  # "user" | "group"
    account_id: Mapped[str] = mapped_column(String(320))
    balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # The billing customer's email; None means: the user's email (or a group's first member's).
    email: Mapped[str | None] = mapped_column(String(320))
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerEntry(Base):
    """One credit or debit. Never updated or deleted: corrections are new entries."""

    __tablename__ = "billing_ledger_entries"
    __table_args__ = (Index("ix_billing_ledger_entries_account", "account_type", "account_id", "created_time"),
                      # Admission asks whether a just-finished job is billed yet.
                      Index("ix_billing_ledger_entries_reference", "reference"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The billing invoice item id clients see (e.g. ``creationBillingInvoiceItemId``).
    item_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_type: Mapped[str] = mapped_column(String(10))
    account_id: Mapped[str] = mapped_column(String(320))
    # Signed: positive adds credit (credits, refunds), negative spends it (charges, usage).
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))  # credit | charge | refund | usage
    product: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[int] = mapped_column(BigInteger, default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessorPrice(Base):
    """Reservation price of one processor, in cents per minute."""

    __tablename__ = "billing_processor_prices"

    processor_id: Mapped[str] = mapped_column(
        ForeignKey("quantum_processors.id", ondelete="CASCADE"), primary_key=True)
    per_minute_cents: Mapped[int] = mapped_column(BigInteger)
    updated_time: Mapped[datetime] = mapped_column(UTCDateTime)


class EventPrice(Base):
    """Price of a product (``reservationCreation``, ``qpuJobCompletion``, ``qpuJobTime``), in cents.

    ``processor_id`` "" applies to every processor. Amounts are decimal strings (exact);
    ``tiers`` is JSON: ``[{"upTo": 100, "unitAmountDecimal": "0.5", "flatAmount": 0}, …]``.
    """

    __tablename__ = "billing_event_prices"
    __table_args__ = (UniqueConstraint("product", "processor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product: Mapped[str] = mapped_column(String(64))
    processor_id: Mapped[str] = mapped_column(String(100), default="")
    scheme: Mapped[str] = mapped_column(String(20))  # per_unit | tiered
    unit_amount: Mapped[str] = mapped_column(String(64), default="0")
    tiers_mode: Mapped[str] = mapped_column(String(20), default="")  # graduated | volume
    tiers: Mapped[str] = mapped_column(Text, default="[]")
    unit_label: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_time: Mapped[datetime] = mapped_column(UTCDateTime)


class PriceGeneration(Base):
    """One row (id 1) whose ``value`` triggers bump on any change to prices (billing_0003); the
    in-memory reservation rates (``billing/rates.py``) check it."""

    __tablename__ = "price_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class UsageTotal(Base):
    """The month's billed usage of a product by an account (``month`` "YYYY-MM", UTC): what tiers
    apply to, kept in the same transaction as the usage entries (it equals their quantities' sum)."""

    __tablename__ = "billing_usage_totals"

    account_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(320), primary_key=True)
    product: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger)


class UsageBilled(Base):
    """A job whose usage is billed (also when it cost nothing): its key makes billing happen once."""

    __tablename__ = "billing_usage_jobs"

    reference: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
