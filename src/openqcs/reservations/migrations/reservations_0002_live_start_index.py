"""index live bookings by (processor_id, start_time); the SQLite overlap trigger uses it

Revision ID: reservations_0002
Revises: reservations_0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "reservations_0002"
down_revision = "reservations_0001"
branch_labels = None
depends_on = None

# Live bookings of one processor never overlap, so sorted by start they are sorted by end too:
# only the last one starting before NEW.start_time, and those starting inside NEW's interval,
# can meet it. Two index seeks, however long the processor's history. SQLite uses a partial
# index only for a query that repeats its WHERE term: SQLAlchemy renders ``~cancelled`` there
# as ``cancelled = 0``, so the index and the trigger say it that way.
BOUNDED = (
    "CREATE TRIGGER reservations_no_overlap BEFORE INSERT ON reservations "
    "WHEN NOT NEW.cancelled AND ("
    "EXISTS (SELECT 1 FROM reservations r WHERE r.processor_id = NEW.processor_id AND r.cancelled = 0 "
    "AND r.start_time >= NEW.start_time AND r.start_time < NEW.end_time) "
    "OR COALESCE((SELECT r.end_time > NEW.start_time FROM reservations r WHERE r.processor_id = NEW.processor_id "
    "AND r.cancelled = 0 AND r.start_time < NEW.start_time ORDER BY r.start_time DESC LIMIT 1), 0)) "
    "BEGIN SELECT RAISE(ABORT, 'reservation_overlap'); END"
)
SCAN = (
    "CREATE TRIGGER reservations_no_overlap BEFORE INSERT ON reservations "
    "WHEN NOT NEW.cancelled AND EXISTS (SELECT 1 FROM reservations r WHERE r.processor_id = NEW.processor_id "
    "AND NOT r.cancelled AND r.start_time < NEW.end_time AND r.end_time > NEW.start_time) "
    "BEGIN SELECT RAISE(ABORT, 'reservation_overlap'); END"
)


def upgrade() -> None:
    op.create_index("ix_reservations_live_start", "reservations", ["processor_id", "start_time"],
                    sqlite_where=sa.text("cancelled = 0"), postgresql_where=sa.text("NOT cancelled"))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS reservations_no_overlap")
        op.execute(BOUNDED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS reservations_no_overlap")
        op.execute(SCAN)
    op.drop_index("ix_reservations_live_start", "reservations")
