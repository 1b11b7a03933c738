"""execution jobs: index for the fair claim order (when each account was last served)

Revision ID: execution_0002
Revises: execution_0001
Create Date: 2026-12-01
"""

from alembic import op

revision = "execution_0002"
down_revision = "execution_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_execution_jobs_account_started", "execution_jobs",
                    ["account_type", "account_id", "started_time"])


def downgrade() -> None:
    op.drop_index("ix_execution_jobs_account_started", "execution_jobs")
