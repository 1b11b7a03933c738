"""endpoints, the processors they serve, engagements

Revision ID: endpoints_0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from openqcs.db.base import UTCDateTime

revision = "endpoints_0001"
down_revision = None
branch_labels = ("endpoints",)
depends_on = ("identity_0001", "processors_0001")


def upgrade() -> None:
    op.create_table(
        "endpoints",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("default_for", sa.String(100), nullable=True),
        sa.Column("datacenter", sa.String(50), nullable=False),
        sa.Column("mock", sa.Boolean(), nullable=False),
        sa.Column("server_public", sa.String(40), nullable=False),
        sa.Column("server_secret", sa.String(40), nullable=False),
        sa.Column("healthy_after", UTCDateTime(), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.Column("deleted_time", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_endpoints_owner_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["default_for"], ["quantum_processors.id"],
                                name="fk_endpoints_default_for_quantum_processors", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_endpoints"),
        sa.UniqueConstraint("default_for", name="uq_endpoints_default_for"),
    )
    op.create_index("ix_endpoints_owner_id", "endpoints", ["owner_id"])
    op.create_table(
        "endpoint_processors",
        sa.Column("endpoint_id", sa.String(64), nullable=False),
        sa.Column("processor_id", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_id"], ["endpoints.id"],
                                name="fk_endpoint_processors_endpoint_id_endpoints", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["processor_id"], ["quantum_processors.id"],
                                name="fk_endpoint_processors_processor_id_quantum_processors", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("endpoint_id", "processor_id", name="pk_endpoint_processors"),
    )
    op.create_index("ix_endpoint_processors_processor_id", "endpoint_processors", ["processor_id"])
    op.create_table(
        "engagements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_type", sa.String(10), nullable=False),
        sa.Column("account_id", sa.String(320), nullable=False),
        sa.Column("client_public", sa.String(40), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("minimum_priority", sa.Integer(), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.Column("expires_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_id"], ["endpoints.id"],
                                name="fk_engagements_endpoint_id_endpoints", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_engagements_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_engagements"),
        sa.UniqueConstraint("client_public", name="uq_engagements_client_public"),
    )
    op.create_index("ix_engagements_endpoint_id", "engagements", ["endpoint_id"])
    op.create_index("ix_engagements_user_id", "engagements", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_engagements_user_id", "engagements")
    op.drop_index("ix_engagements_endpoint_id", "engagements")
    op.drop_table("engagements")
    op.drop_index("ix_endpoint_processors_processor_id", "endpoint_processors")
    op.drop_table("endpoint_processors")
    op.drop_index("ix_endpoints_owner_id", "endpoints")
    op.drop_table("endpoints")
