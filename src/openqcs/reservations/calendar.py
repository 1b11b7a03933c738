"""A processor's calendar as iCalendar text: maintenance windows and (busy) reservations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from openqcs.reservations import service

if TYPE_CHECKING:
    from icalendar import Event

# Past events older than this are left out; the calendar is for planning.
HISTORY = timedelta(days=30)


def processor_calendar(session: Session, processor_id: str, now: datetime, host: str = "openqcs") -> str:
    from icalendar import Calendar  # ~150 ms to import: on the first calendar asked for, not at start-up

    cal = Calendar()
    cal.add("prodid", "-//openqcs//quantum processor calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{processor_id} maintenance")
    since = now - HISTORY
    for window in service.maintenance_windows(session, processor_id, since):
        cal.add_component(_event(f"maintenance-{window.id}@{host}", window.summary or "Maintenance",
                                 window.start_time, window.end_time, window.created_time, "maintenance"))
    for booking in service.processor_reservations(session, processor_id, since):
        # Who booked is not public: the calendar only says the time is taken.
        cal.add_component(_event(f"reservation-{booking.id}@{host}", "Reserved", booking.start_time,
                                 booking.end_time, booking.created_time, "reservation"))
    return str(cal.to_ical().decode())


def _event(uid: str, summary: str, start: datetime, end: datetime, stamp: datetime, category: str) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("dtstamp", stamp)
    event.add("transp", "OPAQUE")
    event.add("categories", [category])
    return event
