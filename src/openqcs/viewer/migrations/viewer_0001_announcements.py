"""announcements and per-user dismissals

Revision ID: viewer_0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from openqcs.db.base import UTCDateTime

revision = "viewer_0001"
down_revision = None
branch_labels = ("viewer",)
depends_on = "identity_0001"


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.Column("expires_time", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
    )
    op.create_index("ix_announcements_created_time", "announcements", ["created_time"])
    op.create_table(
        "announcement_dismissals",
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcements.id"],
                                name="fk_announcement_dismissals_announcement_id_announcements", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name="fk_announcement_dismissals_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("announcement_id", "user_id", name="pk_announcement_dismissals"),
    )
    op.create_index("ix_announcement_dismissals_user_id", "announcement_dismissals", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_announcement_dismissals_user_id", "announcement_dismissals")
    op.drop_table("announcement_dismissals")
    op.drop_index("ix_announcements_created_time", "announcements")
    op.drop_table("announcements")
