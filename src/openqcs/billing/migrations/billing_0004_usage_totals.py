"""usage: the month's total per account and product, and the jobs whose usage is billed

Revision ID: billing_0004
Revises: billing_0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from openqcs.db.base import UTCDateTime

revision = "billing_0004"
down_revision = "billing_0003"
branch_labels = None
# The backfill reads execution_jobs.
depends_on = ("execution_0001",)


def upgrade() -> None:
    op.create_table(
        "billing_usage_totals",
        sa.Column("account_type", sa.String(10), nullable=False),
        sa.Column("account_id", sa.String(320), nullable=False),
        sa.Column("product", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_type", "account_id", "product", "month", name="pk_billing_usage_totals"),
    )
    op.create_table(
        "billing_usage_jobs",
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reference", name="pk_billing_usage_jobs"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    month = "to_char(created_time AT TIME ZONE 'UTC', 'YYYY-MM')" if postgres else "substr(created_time, 1, 7)"
    op.execute("INSERT INTO billing_usage_totals (account_type, account_id, product, month, quantity) "
               f"SELECT account_type, account_id, product, {month}, SUM(quantity) FROM billing_ledger_entries "
               f"WHERE kind = 'usage' GROUP BY account_type, account_id, product, {month}")
    # Jobs finished before this revision were billed (or lost) by the code of their time.
    op.execute("INSERT INTO billing_usage_jobs (reference, created_time) "
               "SELECT id, finished_time FROM execution_jobs WHERE status = 'succeeded' AND finished_time IS NOT NULL")


def downgrade() -> None:
    op.drop_table("billing_usage_jobs")
    op.drop_table("billing_usage_totals")
