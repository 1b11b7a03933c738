"""auth generation: one counter that triggers bump whenever a cached principal may be stale

Revision ID: identity_0003_auth_generation
Revises: identity_0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0003_auth_generation"
down_revision = "identity_0002"
branch_labels = None
depends_on = None

# (trigger name, event, table): every change that can alter a Principal or end a credential.
# Triggers, not service code, so the CLI, the issuer, state import and direct SQL all count.
EVENTS = [
    ("auth_gen_users_change", "UPDATE OF disabled, is_admin, email, idp_id", "users"),
    ("auth_gen_users_delete", "DELETE", "users"),
    ("auth_gen_groups_rename", "UPDATE OF name", "groups"),
    ("auth_gen_groups_delete", "DELETE", "groups"),
    ("auth_gen_members_add", "INSERT", "group_memberships"),
    ("auth_gen_members_change", "UPDATE", "group_memberships"),
    ("auth_gen_members_delete", "DELETE", "group_memberships"),
    ("auth_gen_refresh_revoke", "UPDATE OF revoked_time", "refresh_tokens"),
    ("auth_gen_clients_revoke", "UPDATE OF revoked_time", "service_clients"),
]
BUMP = "UPDATE auth_generation SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "auth_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_generation"),
    )
    op.execute("INSERT INTO auth_generation (id, value) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION auth_generation_bump() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
        for name, event, table in EVENTS:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION auth_generation_bump()")
    else:
        for name, event, table in EVENTS:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, _event, table in EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgres else f"DROP TRIGGER IF EXISTS {name}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS auth_generation_bump()")
    op.drop_table("auth_generation")
