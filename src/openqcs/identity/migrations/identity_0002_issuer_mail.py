"""refresh tokens, service clients, one-time tokens, mail outbox, group update times

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from openqcs.db.base import UTCDateTime

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE")


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("updated_time", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("membership_updated_time", UTCDateTime(), nullable=True))
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.Column("expires_time", UTCDateTime(), nullable=False),
        sa.Column("revoked_time", UTCDateTime(), nullable=True),
        _user_fk("refresh_tokens"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
    )
    op.create_index("ix_refresh_tokens_family", "refresh_tokens", ["family"])
    op.create_index("ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"])
    op.create_table(
        "service_clients",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.Column("revoked_time", UTCDateTime(), nullable=True),
        _user_fk("service_clients"),
        sa.PrimaryKeyConstraint("client_id", name="pk_service_clients"),
    )
    op.create_index("ix_service_clients_user_id", "service_clients", ["user_id"])
    op.create_table(
        "one_time_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.Column("expires_time", UTCDateTime(), nullable=False),
        sa.Column("used_time", UTCDateTime(), nullable=True),
        _user_fk("one_time_tokens"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_one_time_tokens"),
    )
    op.create_index("ix_one_time_tokens_user_id", "one_time_tokens", ["user_id"])
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mail_outbox"),
    )


def downgrade() -> None:
    op.drop_table("mail_outbox")
    op.drop_index("ix_one_time_tokens_user_id", "one_time_tokens")
    op.drop_table("one_time_tokens")
    op.drop_index("ix_service_clients_user_id", "service_clients")
    op.drop_table("service_clients")
    op.drop_index("ix_refresh_tokens_user_id", "refresh_tokens")
    op.drop_index("ix_refresh_tokens_family", "refresh_tokens")
    op.drop_table("refresh_tokens")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("membership_updated_time")
        batch.drop_column("updated_time")
