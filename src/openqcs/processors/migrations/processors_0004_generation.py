"""processor generation: a counter that triggers bump on any change to processors, grants or ISAs

Revision ID: processors_0004
Revises: processors_0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "processors_0004"
down_revision = "processors_0003"
branch_labels = None
depends_on = None

# Every replica keeps processor lists and ISA references in memory per visibility; it compares
# this counter on each request, so an import, grant, revoke or flag change is seen at once.
TABLES = ("quantum_processors", "quantum_processor_access", "isa_versions")
BUMP = "UPDATE processor_generation SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "processor_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_processor_generation"),
    )
    op.execute("INSERT INTO processor_generation (id, value) VALUES (1, 1)")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE FUNCTION processor_generation_bump() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
    for table in TABLES:
        if postgres:
            op.execute(f"CREATE TRIGGER {table}_generation AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION processor_generation_bump()")
        else:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_generation_{event.lower()} AFTER {event} ON {table} "
                           f"BEGIN {BUMP}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_generation ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_generation_{event}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS processor_generation_bump()")
    op.drop_table("processor_generation")
