"""client applications and their supported versions

Revision ID: clientapps_0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from openqcs.db.base import UTCDateTime

revision = "clientapps_0001"
down_revision = None
branch_labels = ("clientapps",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_applications",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("latest_version", sa.String(50), nullable=False),
        sa.Column("minimum_version", sa.String(50), nullable=True),
        sa.Column("details_uri", sa.String(500), nullable=True),
        sa.Column("supported", sa.Boolean(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("updated_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_client_applications"),
    )


def downgrade() -> None:
    op.drop_table("client_applications")
