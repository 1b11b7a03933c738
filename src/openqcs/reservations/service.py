"""Reservations: slot rules, overlap, availability, lookups, maintenance windows.

Booking and cancelling touch the ledger too, so they live in ``flows.py``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import CompoundSelect, Connection, Exists, Row, Select, bindparam, exists, select, union_all
from sqlalchemy.orm import Session

from openqcs.billing.service import reservation_rate
from openqcs.config import Settings
from openqcs.errors import InvalidArgument, NotFound, PermissionDenied
from openqcs.identity.accounts import Account, may_act_for
from openqcs.identity.principal import Principal
from openqcs.processors.service import get_processor
from openqcs.reservations.models import MaintenanceWindow, Reservation
from openqcs.reservations.prepared import Transaction

SLOT = timedelta(minutes=15)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def active_reservation(session: Session, processor_id: str, at: datetime) -> Reservation | None:
    """The non-cancelled reservation on ``processor_id`` covering the instant ``at``, if any."""
    return session.scalar(
        select(Reservation).where(
            Reservation.processor_id == processor_id,
            Reservation.cancelled.is_(False),
            Reservation.start_time <= at,
            Reservation.end_time > at,
        ).limit(1)
    )


# --- slot rules ---------------------------------------------------------------------------

def is_aligned(at: datetime) -> bool:
    return (at - EPOCH) % SLOT == timedelta(0)


def align_up(at: datetime) -> datetime:
    rest = (at - EPOCH) % SLOT
    return at if rest == timedelta(0) else at + (SLOT - rest)


def check_slot(start: datetime, end: datetime, now: datetime, settings: Settings) -> None:
    """InvalidArgument unless [start, end) is aligned, non-empty, in the future and not too long."""
    problems = []
    for name, value in (("startTime", start), ("endTime", end)):
        if not is_aligned(value):
            problems.append((name, f"{name} must fall on a 15-minute boundary (:00, :15, :30, :45) with no seconds"))
    if end <= start:
        problems.append(("endTime", "endTime must be after startTime"))
    elif end - start > timedelta(minutes=settings.reservation_max_minutes):
        problems.append(("endTime", f"a reservation may last at most {settings.reservation_max_minutes} minutes"))
    if start < now:
        problems.append(("startTime", "startTime must be in the future"))
    if problems:
        name, message = problems[0]
        error = InvalidArgument.field("body", name, message)
        for name, message in problems[1:]:
            error.problems += InvalidArgument.field("body", name, message).problems
        raise error


# --- overlap and availability -------------------------------------------------------------

# The helpers below take values or bound parameters (``_ANY_MEETING``): hence ``Any``.
Times = Select[Any, Any]


def _live_meeting(processor_id: Any, start: Any, end: Any) -> tuple[Times, Times]:
    """Live bookings that meet [start, end), by two seeks of ``ix_reservations_live_start``.

    Live bookings of a processor never overlap (trigger / exclusion constraint), so sorted by
    start they are sorted by end: of those starting before ``start`` only the last can reach
    into the interval. The cost does not grow with the processor's history.
    """
    live = (Reservation.processor_id == processor_id, ~Reservation.cancelled)
    before = (select(Reservation.start_time, Reservation.end_time)
              .where(*live, Reservation.start_time < start)
              .order_by(Reservation.start_time.desc()).limit(1).subquery())
    inside = select(Reservation.start_time, Reservation.end_time).where(
        *live, Reservation.start_time >= start, Reservation.start_time < end)
    return select(before.c.start_time, before.c.end_time).where(before.c.end_time > start), inside


def _maintenance_meeting(processor_id: Any, start: Any, end: Any) -> Times:
    # Windows may overlap each other and are few per processor: a plain range test.
    return select(MaintenanceWindow.start_time, MaintenanceWindow.end_time).where(
        MaintenanceWindow.processor_id == processor_id, MaintenanceWindow.start_time < end,
        MaintenanceWindow.end_time > start)


def maintenance_meets(processor_id: Any, start: Any, end: Any) -> Exists:
    """Does a maintenance window meet [start, end)? (For a condition inside another statement.)"""
    return exists(_maintenance_meeting(processor_id, start, end))


def _meeting(processor_id: Any, start: Any, end: Any) -> CompoundSelect[Any, Any]:
    return union_all(*_live_meeting(processor_id, start, end), _maintenance_meeting(processor_id, start, end))


def busy_intervals(session: Session, processor_id: str, start: datetime,
                   end: datetime) -> list[tuple[datetime, datetime]]:
    """Sorted [start, end) intervals of live reservations and maintenance that meet [start, end)."""
    return sorted((s, e) for s, e in session.execute(_meeting(processor_id, start, end)))


# Built once with bound parameters: constructing the union per call cost more than running it.
_ANY_MEETING = select(exists(_meeting(bindparam("processor_id"), bindparam("start"), bindparam("end")).subquery()))


def is_free(session: Session, processor_id: str, start: datetime, end: datetime) -> bool:
    """One statement: does anything live meet [start, end)?"""
    return not session.scalar(_ANY_MEETING, {"processor_id": processor_id, "start": start, "end": end})


def is_free_in(tx: Transaction, processor_id: str, start: datetime, end: datetime) -> bool:
    """``is_free`` inside a booking's write transaction."""
    row = tx.one(_ANY_MEETING, {"processor_id": processor_id, "start": start, "end": end})
    return row is None or not row[0]


def free_windows(
    busy: Sequence[tuple[datetime, datetime]], start: datetime, until: datetime, duration: timedelta
) -> list[tuple[datetime, datetime]]:
    """Every 15-minute-aligned [s, s + duration) from ``start`` that meets no busy interval and
    starts before ``until``."""
    windows = []
    at = align_up(start)
    i = 0
    while at < until:
        end = at + duration
        while i < len(busy) and busy[i][1] <= at:
            i += 1
        clash = next((b for b in busy[i:] if b[0] < end and b[1] > at), None)
        if clash is None:
            windows.append((at, end))
            at += SLOT
        else:
            at = align_up(max(clash[1], at + SLOT))
    return windows


def available_windows(session: Session, viewer: Principal, processor_id: str, start_from: datetime,
                      duration: timedelta, *, now: datetime,
                      settings: Settings) -> list[tuple[datetime, datetime, int]]:
    """Free [start, end) windows of ``duration`` on the processor with their prices in cents, from
    ``start_from`` (or now) for ``reservation_search_days``. InvalidArgument for an unknown
    processor or too long a duration."""
    if not processor_id:
        raise InvalidArgument.field("query", "quantumProcessorId", "quantumProcessorId is required")
    if duration > timedelta(minutes=settings.reservation_max_minutes):
        raise InvalidArgument.field("query", "duration",
                                    f"duration may be at most {settings.reservation_max_minutes} minutes")
    try:
        get_processor(session, processor_id, viewer)
    except NotFound as exc:
        raise InvalidArgument.field("query", "quantumProcessorId", exc.message) from None
    start = max(start_from, now)
    until = start + timedelta(days=settings.reservation_search_days)
    rate = reservation_rate(session, processor_id)
    return [(s, e, rate.price_cents(s, e))
            for s, e in free_windows(busy_intervals(session, processor_id, start, until + duration), start, until,
                                     duration)]


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def parse_go_duration(text: str | None, *, name: str = "duration") -> timedelta:
    """A Go ``time.ParseDuration`` string (``15m``, ``1h30m``, ``90s``); InvalidArgument otherwise."""
    raw = (text or "").strip()
    body = raw[1:] if raw[:1] in "+-" else raw
    pos, seconds = 0, 0.0
    for match in _DURATION_PART.finditer(body):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    valid = body == "0" or (body != "" and pos == len(body))
    if not valid:
        raise InvalidArgument.field("query", name, f"{name} '{raw}' is not a duration like '15m' or '1h30m'")
    value = timedelta(seconds=-seconds if raw.startswith("-") else seconds)
    if value <= timedelta(0) or value % SLOT != timedelta(0):
        raise InvalidArgument.field("query", name, f"{name} must be a positive multiple of 15m")
    return value


def format_go_duration(value: timedelta) -> str:
    """``1h30m0s`` like Go's ``Duration.String`` (whole seconds)."""
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"


# --- lookups ------------------------------------------------------------------------------

def account_of(reservation: Reservation) -> Account:
    return Account(reservation.account_id, reservation.account_type)


_BY_ID = select(Reservation.__table__).where(Reservation.__table__.c.id == bindparam("reservation_id"))


def find_reservation(conn: Connection, principal: Principal, reservation_id: int) -> Row[Any]:
    """``get_reservation`` for reads: one Core statement (a third of the ORM's cost), a Row with
    the same attribute names. NotFound, PermissionDenied."""
    found = conn.execute(_BY_ID, {"reservation_id": reservation_id}).first()
    if found is None:
        raise NotFound(f"reservation {reservation_id} not found")
    if not may_act_for(principal, Account(found.account_id, found.account_type)):
        raise PermissionDenied(f"reservation {reservation_id} belongs to another account")
    return found


_COLUMNS = [c.name for c in Reservation.__table__.c]
# With the auth generation in the same read, for the caller's cached principal.
_WITH_AUTH = f"SELECT (SELECT value FROM auth_generation WHERE id = 1), {', '.join(_COLUMNS)} FROM reservations "
_RAW_BY_ID = _WITH_AUTH + "WHERE id = ?"
_TIMES = ("start_time", "end_time", "created_time", "updated_time")


def read_reservation_sqlite(conn: sqlite3.Connection, reservation_id: int) -> tuple[int | None, SimpleNamespace | None]:
    """The auth generation and the reservation with Row-like attributes, read through a plain
    sqlite3 connection (the GetReservation fast path: no pool, no SQLAlchemy), or (None, None)
    when there is no such reservation. No permission check here."""
    row = conn.execute(_RAW_BY_ID, (reservation_id,)).fetchone()
    if row is None:
        return None, None
    values = dict(zip(_COLUMNS, row[1:], strict=True))
    for name in _TIMES:  # SQLAlchemy stores naive UTC text, e.g. "2026-12-03 09:00:00.000000"
        values[name] = datetime.fromisoformat(values[name]).replace(tzinfo=UTC)
    values["cancelled"] = bool(values["cancelled"])
    return row[0], SimpleNamespace(**values)


PG_BY_ID = _WITH_AUTH + "WHERE id = %s"


def reservation_from_pg_row(row: tuple[Any, ...]) -> SimpleNamespace:
    """A row of ``PG_BY_ID`` after its first column (psycopg gives aware datetimes and booleans)."""
    return SimpleNamespace(**dict(zip(_COLUMNS, row[1:], strict=True)))


def get_reservation(session: Session, principal: Principal, reservation_id: int, *,
                    for_update: bool = False) -> Reservation:
    """NotFound if it does not exist; PermissionDenied unless the caller may act for its account."""
    stmt = select(Reservation).where(Reservation.id == reservation_id)
    if for_update:
        stmt = stmt.with_for_update()
    found = session.scalar(stmt)
    if found is None:
        raise NotFound(f"reservation {reservation_id} not found")
    if not may_act_for(principal, account_of(found)):
        raise PermissionDenied(f"reservation {reservation_id} belongs to another account")
    return found


def account_reservations(session: Session, account: Account, *, include_cancelled: bool) -> list[Reservation]:
    stmt = select(Reservation).where(Reservation.account_type == account.type, Reservation.account_id == account.id)
    if not include_cancelled:
        stmt = stmt.where(Reservation.cancelled.is_(False))
    return list(session.scalars(stmt.order_by(Reservation.id)))


def processor_reservations(session: Session, processor_id: str, since: datetime) -> list[Reservation]:
    return list(session.scalars(
        select(Reservation).where(
            Reservation.processor_id == processor_id, Reservation.cancelled.is_(False), Reservation.end_time > since
        ).order_by(Reservation.start_time)
    ))


# --- maintenance --------------------------------------------------------------------------

def add_maintenance(session: Session, processor_id: str, start: datetime, end: datetime, summary: str,
                    now: datetime) -> MaintenanceWindow:
    """A maintenance window; existing reservations that overlap it are left to the operator."""
    if end <= start:
        raise InvalidArgument("maintenance end must be after its start")
    window = MaintenanceWindow(processor_id=processor_id, start_time=start, end_time=end, summary=summary,
                               created_time=now)
    session.add(window)
    session.flush()
    return window


def maintenance_windows(session: Session, processor_id: str, since: datetime | None = None) -> list[MaintenanceWindow]:
    stmt = select(MaintenanceWindow).where(MaintenanceWindow.processor_id == processor_id)
    if since is not None:
        stmt = stmt.where(MaintenanceWindow.end_time > since)
    return list(session.scalars(stmt.order_by(MaintenanceWindow.start_time)))


def remove_maintenance(session: Session, window_id: int) -> None:
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFound(f"maintenance window {window_id} not found")
    session.delete(window)
