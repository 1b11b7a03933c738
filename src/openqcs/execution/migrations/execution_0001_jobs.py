"""execution jobs

Revision ID: execution_0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from openqcs.db.base import UTCDateTime

revision = "execution_0001"
down_revision = None
branch_labels = ("execution",)
depends_on = "processors_0001"


def upgrade() -> None:
    op.create_table(
        "execution_jobs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("processor_id", sa.String(100), nullable=False),
        sa.Column("endpoint_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_type", sa.String(10), nullable=False),
        sa.Column("account_id", sa.String(320), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("shots", sa.Integer(), nullable=False),
        sa.Column("readout", sa.Text(), nullable=False),
        sa.Column("memory", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("duration_us", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(80), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.Column("started_time", UTCDateTime(), nullable=True),
        sa.Column("finished_time", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["processor_id"], ["quantum_processors.id"],
                                name="fk_execution_jobs_processor_id_quantum_processors", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_execution_jobs_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_execution_jobs"),
    )
    op.create_index("ix_execution_jobs_processor_id", "execution_jobs", ["processor_id"])
    op.create_index("ix_execution_jobs_user_id", "execution_jobs", ["user_id"])
    op.create_index("ix_execution_jobs_status_created", "execution_jobs", ["status", "created_time"])


def downgrade() -> None:
    op.drop_index("ix_execution_jobs_status_created", "execution_jobs")
    op.drop_index("ix_execution_jobs_user_id", "execution_jobs")
    op.drop_index("ix_execution_jobs_processor_id", "execution_jobs")
    op.drop_table("execution_jobs")
