"""A processor's week as rows of day bars: reservations (the viewer's own named as theirs,
others only as "Reserved", as the iCalendar feed does) and maintenance windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openqcs.identity.principal import Principal
from openqcs.reservations import service

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Block:
    kind: str  # mine | reserved | maintenance
    label: str
    start: datetime
    end: datetime
    left: float  # percent of the day
    width: float


@dataclass(frozen=True)
class Day:
    date: datetime
    blocks: list[Block]


def _blocks(day: datetime, events: list[tuple[str, str, datetime, datetime]]) -> list[Block]:
    out = []
    for kind, label, start, end in events:
        lo, hi = max(start, day), min(end, day + DAY)
        if lo < hi:
            out.append(Block(kind, label, start, end, (lo - day) / DAY * 100, max((hi - lo) / DAY * 100, 0.4)))
    return out


def week(session: Session, viewer: Principal, processor_id: str, now: datetime, days: int = 7) -> list[Day]:
    first = now.replace(hour=0, minute=0, second=0, microsecond=0)
    events = [("maintenance", w.summary or "Maintenance", w.start_time, w.end_time)
              for w in service.maintenance_windows(session, processor_id, first)]
    for r in service.processor_reservations(session, processor_id, first):
        mine = r.account_id == viewer.idp_id if r.account_type == "user" else viewer.in_group(r.account_id)
        events.append(("mine", f"Your reservation #{r.id}", r.start_time, r.end_time) if mine
                      else ("reserved", "Reserved", r.start_time, r.end_time))
    return [Day(first + i * DAY, _blocks(first + i * DAY, events)) for i in range(days)]
