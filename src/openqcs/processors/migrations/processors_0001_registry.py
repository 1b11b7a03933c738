"""quantum processors, access lists, ISA versions

Revision ID: processors_0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from openqcs.db.base import UTCDateTime

revision = "processors_0001"
down_revision = None
branch_labels = ("processors",)
depends_on = "identity_0001"


def upgrade() -> None:
    op.create_table(
        "quantum_processors",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("family", sa.String(50), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("noiseless", sa.Boolean(), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quantum_processors"),
    )
    op.create_table(
        "quantum_processor_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("processor_id", sa.String(100), nullable=False),
        sa.Column("account_type", sa.String(10), nullable=False),
        sa.Column("account_id", sa.String(320), nullable=False),
        sa.ForeignKeyConstraint(["processor_id"], ["quantum_processors.id"],
                                name="fk_quantum_processor_access_processor_id_quantum_processors",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_quantum_processor_access"),
        sa.UniqueConstraint("processor_id", "account_type", "account_id",
                            name="uq_quantum_processor_access_processor_id"),
    )
    op.create_index("ix_quantum_processor_access_processor_id", "quantum_processor_access", ["processor_id"])
    op.create_table(
        "isa_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("processor_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["processor_id"], ["quantum_processors.id"],
                                name="fk_isa_versions_processor_id_quantum_processors", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_isa_versions"),
        sa.UniqueConstraint("processor_id", "version", name="uq_isa_versions_processor_id"),
    )
    op.create_index("ix_isa_versions_processor_id", "isa_versions", ["processor_id"])


def downgrade() -> None:
    op.drop_index("ix_isa_versions_processor_id", "isa_versions")
    op.drop_table("isa_versions")
    op.drop_index("ix_quantum_processor_access_processor_id", "quantum_processor_access")
    op.drop_table("quantum_processor_access")
    op.drop_table("quantum_processors")
