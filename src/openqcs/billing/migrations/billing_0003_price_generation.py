"""price generation: a counter that triggers bump on any change to prices

Revision ID: billing_0003
Revises: billing_0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0003"
down_revision = "billing_0002"
branch_labels = None
depends_on = None

# Every replica keeps reservation rates in memory; it compares this counter on each booking,
# so a price set through the CLI or admin API on any replica counts from the next request.
TABLES = ("billing_processor_prices", "billing_event_prices")
BUMP = "UPDATE price_generation SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "price_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_price_generation"),
    )
    op.execute("INSERT INTO price_generation (id, value) VALUES (1, 1)")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE FUNCTION price_generation_bump() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
    for table in TABLES:
        if postgres:
            op.execute(f"CREATE TRIGGER {table}_generation AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION price_generation_bump()")
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
        op.execute("DROP FUNCTION IF EXISTS price_generation_bump()")
    op.drop_table("price_generation")
