"""processor status (online, offline, degraded)

Revision ID: processors_0003
Revises: processors_0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "processors_0003"
down_revision = "processors_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild on SQLite would drop the table and cascade to its ISAs.
    op.add_column("quantum_processors", sa.Column("status", sa.String(10), nullable=False, server_default="online"))


def downgrade() -> None:
    with op.batch_alter_table("quantum_processors") as batch:
        batch.drop_column("status")
