"""covering index for the latest ISA version and its etag

Revision ID: processors_0002
Revises: processors_0001
Create Date: 2026-11-24
"""

from alembic import op

revision = "processors_0002"
down_revision = "processors_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_isa_versions_latest", "isa_versions", ["processor_id", "version", "etag"])


def downgrade() -> None:
    op.drop_index("ix_isa_versions_latest", "isa_versions")
