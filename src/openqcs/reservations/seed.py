"""Demo data: a finished maintenance window (last Sunday 02:00-04:00 UTC) on each processor
without any, so calendars show something without blocking bookings anyone makes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from openqcs.context import AppContext
from openqcs.processors.models import Processor
from openqcs.reservations.models import MaintenanceWindow
from openqcs.reservations.service import add_maintenance


def seed_demo(ctx: AppContext) -> None:
    now = ctx.clock.now()
    days_back = (now.weekday() + 1) % 7 or 7
    start = (now - timedelta(days=days_back)).replace(hour=2, minute=0, second=0, microsecond=0)
    with ctx.db.session(write=True) as session:
        planned = set(session.scalars(select(MaintenanceWindow.processor_id)))
        for processor_id in session.scalars(select(Processor.id)):
            if processor_id not in planned:
                add_maintenance(session, processor_id, start, start + timedelta(hours=2), "Scheduled maintenance", now)
