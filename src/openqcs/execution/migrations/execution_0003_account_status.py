"""execution jobs: index for admission's count of an account's unbilled jobs (by status, then end)

Revision ID: execution_0003
Revises: execution_0002
Create Date: 2026-12-01
"""

from alembic import op

revision = "execution_0003"
down_revision = "execution_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_execution_jobs_account_status", "execution_jobs",
                    ["account_type", "account_id", "status", "finished_time"])


def downgrade() -> None:
    op.drop_index("ix_execution_jobs_account_status", "execution_jobs")
