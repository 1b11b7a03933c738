"""billing accounts, ledger entries, processor and event prices

Revision ID: billing_0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from openqcs.db.base import UTCDateTime

revision = "billing_0001"
down_revision = None
branch_labels = ("billing",)
depends_on = ("identity_0001", "processors_0001")


def upgrade() -> None:
    op.create_table(
        "billing_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_type", sa.String(10), nullable=False),
        sa.Column("account_id", sa.String(320), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_billing_accounts"),
        sa.UniqueConstraint("account_type", "account_id", name="uq_billing_accounts_account_type"),
    )
    op.create_table(
        "billing_ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("account_type", sa.String(10), nullable=False),
        sa.Column("account_id", sa.String(320), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("product", sa.String(64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_billing_ledger_entries"),
        sa.UniqueConstraint("item_id", name="uq_billing_ledger_entries_item_id"),
    )
    op.create_index("ix_billing_ledger_entries_account", "billing_ledger_entries",
                    ["account_type", "account_id", "created_time"])
    op.create_table(
        "billing_processor_prices",
        sa.Column("processor_id", sa.String(100), nullable=False),
        sa.Column("per_minute_cents", sa.BigInteger(), nullable=False),
        sa.Column("updated_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["processor_id"], ["quantum_processors.id"],
                                name="fk_billing_processor_prices_processor_id_quantum_processors",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("processor_id", name="pk_billing_processor_prices"),
    )
    op.create_table(
        "billing_event_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(64), nullable=False),
        sa.Column("processor_id", sa.String(100), nullable=False),
        sa.Column("scheme", sa.String(20), nullable=False),
        sa.Column("unit_amount", sa.String(64), nullable=False),
        sa.Column("tiers_mode", sa.String(20), nullable=False),
        sa.Column("tiers", sa.Text(), nullable=False),
        sa.Column("unit_label", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_billing_event_prices"),
        sa.UniqueConstraint("product", "processor_id", name="uq_billing_event_prices_product"),
    )


def downgrade() -> None:
    op.drop_table("billing_event_prices")
    op.drop_table("billing_processor_prices")
    op.drop_index("ix_billing_ledger_entries_account", "billing_ledger_entries")
    op.drop_table("billing_ledger_entries")
    op.drop_table("billing_accounts")
