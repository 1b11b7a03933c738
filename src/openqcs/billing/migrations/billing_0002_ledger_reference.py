"""ledger entries: index by reference, so "is this job billed yet" is one seek

Revision ID: billing_0002
Revises: billing_0001
Create Date: 2026-12-01
"""

from alembic import op

revision = "billing_0002"
down_revision = "billing_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_billing_ledger_entries_reference", "billing_ledger_entries", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_billing_ledger_entries_reference", "billing_ledger_entries")
