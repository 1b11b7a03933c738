"""reservations and maintenance windows; no overlapping bookings on PostgreSQL

Revision ID: reservations_0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from openqcs.db.base import UTCDateTime

revision = "reservations_0001"
down_revision = None
branch_labels = ("reservations",)
depends_on = ("processors_0001", "billing_0001")


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("processor_id", sa.String(100), nullable=False),
        sa.Column("account_type", sa.String(10), nullable=False),
        sa.Column("account_id", sa.String(320), nullable=False),
        sa.Column("created_by_type", sa.String(10), nullable=False),
        sa.Column("created_by_id", sa.String(320), nullable=False),
        sa.Column("start_time", UTCDateTime(), nullable=False),
        sa.Column("end_time", UTCDateTime(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("creation_invoice_item_id", sa.String(64), nullable=True),
        sa.Column("cancellation_invoice_item_id", sa.String(64), nullable=True),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.Column("updated_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["processor_id"], ["quantum_processors.id"],
                                name="fk_reservations_processor_id_quantum_processors", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
    )
    op.create_index("ix_reservations_processor_id", "reservations", ["processor_id"])
    op.create_index("ix_reservations_account", "reservations", ["account_type", "account_id"])
    if op.get_bind().dialect.name == "postgresql":
        # The guarantee against double booking under concurrency; SQLite relies on
        # serialized writers (BEGIN IMMEDIATE) and the service's overlap check instead.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE reservations ADD CONSTRAINT ex_reservations_no_overlap "
            "EXCLUDE USING gist (processor_id WITH =, tstzrange(start_time, end_time, '[)') WITH &&) "
            "WHERE (NOT cancelled)"
        )
    else:
        # SQLite serializes writers, so the service's overlap check suffices; this trigger is
        # the same rule enforced by the database, in case a code path ever skips the check.
        op.execute(
            "CREATE TRIGGER reservations_no_overlap BEFORE INSERT ON reservations "
            "WHEN NOT NEW.cancelled AND EXISTS (SELECT 1 FROM reservations r WHERE r.processor_id = NEW.processor_id "
            "AND NOT r.cancelled AND r.start_time < NEW.end_time AND r.end_time > NEW.start_time) "
            "BEGIN SELECT RAISE(ABORT, 'reservation_overlap'); END"
        )
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("processor_id", sa.String(100), nullable=False),
        sa.Column("start_time", UTCDateTime(), nullable=False),
        sa.Column("end_time", UTCDateTime(), nullable=False),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("created_time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["processor_id"], ["quantum_processors.id"],
                                name="fk_maintenance_windows_processor_id_quantum_processors", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_windows"),
    )
    op.create_index("ix_maintenance_windows_processor_id", "maintenance_windows", ["processor_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS reservations_no_overlap")
    op.drop_index("ix_maintenance_windows_processor_id", "maintenance_windows")
    op.drop_table("maintenance_windows")
    op.drop_index("ix_reservations_account", "reservations")
    op.drop_index("ix_reservations_processor_id", "reservations")
    op.drop_table("reservations")
