"""Booking and cancelling: the reservation and its ledger entry change in one transaction.

Booking runs its own transaction (``prepared.write_transaction``), or ``book_in`` runs in one
the fast path shares among bookings that arrive together (``group_commit``); cancelling runs
inside ``ctx.db.session(write=True)``. Double booking is impossible because: on SQLite the write
transaction holds the database write lock from BEGIN, so the overlap check and the insert
cannot interleave with another writer; on PostgreSQL the exclusion constraint
``ex_reservations_no_overlap`` rejects the second of two racing inserts (mapped to 409; SQLite
has the same rule as a trigger), and ``billing.service.debit`` checks and spends the balance in
one guarded UPDATE. A failure anywhere rolls back the debit with the booking.

Refund policy on cancellation (settings ``reservation_full_refund_hours`` and
``reservation_late_refund_percent``): the full price when cancelled more than 24 h before the
start; 50 % (rounded down) from then until the start; nothing once it has started.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

from sqlalchemy import BigInteger, Table, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openqcs.billing import service as billing
from openqcs.billing.rates import rate_cache
from openqcs.billing.service import ReservationRate
from openqcs.config import Settings
from openqcs.db.engine import Database
from openqcs.errors import Conflict, InvalidArgument, NotFound
from openqcs.identity.accounts import Account, may_act_for, require_account
from openqcs.identity.principal import Principal
from openqcs.processors.service import get_processor
from openqcs.reservations import service
from openqcs.reservations.models import Reservation
from openqcs.reservations.prepared import Transaction, nowait_transaction, write_transaction

EXCLUSION_VIOLATION = "23P01"


def unavailable(processor_id: str) -> Conflict:
    return Conflict(f"the requested time on '{processor_id}' is already reserved or under maintenance",
                    code="reservation_unavailable")


_TABLE = cast(Table, Reservation.__table__)
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
_COLUMNS = [c.name for c in _TABLE.c if c.name != "id"]
# The overlap check and the insert in one statement. No row when maintenance meets the slot; a
# live booking that meets it makes the overlap trigger (SQLite) or the exclusion constraint
# (PostgreSQL) refuse the insert. (PostgreSQL checks first when it has no turn yet, so that a
# refusal needs no turn on the processor's lock.)
_INSERT_UNLESS_MAINTENANCE = insert(_TABLE).from_select(
    _COLUMNS,
    select(*[bindparam(name, type_=_TABLE.c[name].type) for name in _COLUMNS]).where(
        ~service.maintenance_meets(bindparam("processor_id"), bindparam("start_time"), bindparam("end_time"))),
).returning(_TABLE.c.id)
# PostgreSQL: inserts of one processor's bookings take turns. Without it, two racing inserts that
# overlap each other both wait in the exclusion constraint's check for the other: a deadlock
# (503). Taking turns, the second sees the first committed and fails the constraint (409).
_PROCESSOR_TURN = select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger)))


def _turn_key(processor_id: str) -> int:
    digest = hashlib.blake2b(f"reservations:{processor_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _check_caller(db: Database, principal: Principal, account: Account, processor_id: str, *,
                  processor_visible: bool) -> None:
    if processor_visible and not principal.is_admin and may_act_for(principal, account):
        return  # nothing to look up
    with db.session() as session:
        if not processor_visible:
            try:
                get_processor(session, processor_id, principal)
            except NotFound as exc:
                raise InvalidArgument.field("body", "quantumProcessorId", exc.message) from None
        try:
            require_account(session, principal, account)
        except NotFound as exc:  # an administrator named an account that does not exist
            raise InvalidArgument.field("body", "accountId", exc.message) from None


def _utc(at: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC (strftime cost more than the statements around it)."""
    return at.astimezone(UTC).isoformat(" ")


class Booking(NamedTuple):
    """A booking checked and priced, ready for its statements (``book_in``)."""

    processor_id: str
    account: Account
    price: int
    item_id: str
    values: dict[str, Any]


def create_reservation(
    db: Database,
    principal: Principal,
    account: Account,
    processor_id: str,
    start: datetime,
    end: datetime,
    notes: str,
    *,
    now: datetime,
    settings: Settings,
    processor_visible: bool = False,
    wait: bool = True,
    rate: ReservationRate | None = None,
) -> SimpleNamespace:
    """Book [start, end) on the processor for ``account`` and charge it, in one transaction: on
    SQLite three statements (the insert unless maintenance meets the slot, through the overlap
    trigger; the guarded debit; the ledger entry), on PostgreSQL five (the overlap check, the
    processor's advisory lock, the insert, the debit, the ledger entry).

    ``processor_visible``: the caller already knows the principal may see the processor (from
    the generation-checked processor views), so its lookup is skipped. The price comes from the
    generation-checked rate cache, or is ``rate`` when the caller has that from there already.
    ``wait=False`` (SQLite): raise ``prepared.Busy`` instead of waiting when another writer
    holds the lock, so the caller may try on the event loop first.

    InvalidArgument (bad slot, unknown processor), PermissionDenied (not the caller's account),
    Conflict ``reservation_unavailable`` (overlap), PaymentRequired (balance too low).
    """
    booking = prepare(db, principal, account, processor_id, start, end, notes, now=now, settings=settings,
                      processor_visible=processor_visible, rate=rate)
    with write_transaction(db) if wait else nowait_transaction(db) as tx:
        return book_in(tx, db.is_sqlite, booking)


def prepare(db: Database, principal: Principal, account: Account, processor_id: str, start: datetime,
            end: datetime, notes: str, *, now: datetime, settings: Settings, processor_visible: bool = False,
            rate: ReservationRate | None = None) -> Booking:
    """``create_reservation``'s checks and price, before any write."""
    _check_caller(db, principal, account, processor_id, processor_visible=processor_visible)
    service.check_slot(start, end, now, settings)
    price = (rate or rate_cache(db).rate(processor_id)).price_cents(start, end)
    item_id = billing.new_item_id()
    values = dict(
        processor_id=processor_id, account_type=account.type, account_id=account.id,
        created_by_type="user", created_by_id=principal.idp_id, start_time=start, end_time=end,
        price=price, notes=notes, cancelled=False, creation_invoice_item_id=item_id,
        cancellation_invoice_item_id=None, created_time=now, updated_time=now,
    )
    return Booking(processor_id, account, price, item_id, values)


def take_turns(tx: Transaction, processor_ids: set[str]) -> None:
    """(PostgreSQL) The processors' turns for a transaction that books several, taken before any
    other lock and in one order (by key), as a booking's own single turn is."""
    for key in sorted(_turn_key(p) for p in processor_ids):
        tx.run(_PROCESSOR_TURN, {"key": key})


def book_in(tx: Transaction, is_sqlite: bool, booking: Booking, *, turn_taken: bool = False) -> SimpleNamespace:
    """A prepared booking's statements in the caller's write transaction (see
    ``create_reservation``); what was stored, with a Reservation's attribute names.
    ``turn_taken``: (PostgreSQL) the transaction holds the processor's turn already."""
    processor_id, values = booking.processor_id, booking.values
    start, end = values["start_time"], values["end_time"]
    checked = is_sqlite or turn_taken  # the insert checks for maintenance itself
    if not checked:
        if not service.is_free_in(tx, processor_id, start, end):
            raise unavailable(processor_id)
        # Only inserts take turns: a refusal above needs no turn. (SQLite's writers hold the
        # database's write lock already.)
        tx.run(_PROCESSOR_TURN, {"key": _turn_key(processor_id)})
    try:
        # Insert first: on PostgreSQL a racing booking of the same time fails here, before any
        # money moves; the debit then decides on the balance and spends it in one statement.
        row = tx.one(_INSERT_UNLESS_MAINTENANCE if checked else _INSERT, values)
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == EXCLUSION_VIOLATION or "reservation_overlap" in str(exc.orig):
            raise unavailable(processor_id) from None
        raise
    if row is None:  # maintenance
        raise unavailable(processor_id)
    reservation_id = int(row[0])
    billing.debit(
        tx, booking.account, booking.price, item_id=booking.item_id, product="reservationCreation",
        description=f"Reservation {reservation_id} on {processor_id}, {_utc(start)[:16]}-{_utc(end)[11:16]} UTC",
        reference=f"reservation:{reservation_id}", at=values["created_time"],
    )
    # (Building an ORM object cost more.)
    return SimpleNamespace(id=reservation_id, **values)


def refund_due(reservation: Reservation, now: datetime, settings: Settings) -> int:
    """How much of the price cancelling at ``now`` gives back (see the module docstring)."""
    if now >= reservation.start_time:
        return 0
    if reservation.start_time - now > timedelta(hours=settings.reservation_full_refund_hours):
        return reservation.price
    return reservation.price * settings.reservation_late_refund_percent // 100


def cancel_reservation(
    session: Session, principal: Principal, reservation_id: int, *, now: datetime, settings: Settings
) -> Reservation:
    """Mark the reservation cancelled and refund per policy; cancelling twice changes nothing.

    NotFound, PermissionDenied.
    """
    reservation = service.get_reservation(session, principal, reservation_id, for_update=True)
    if reservation.cancelled:
        return reservation
    amount = refund_due(reservation, now, settings)
    if amount > 0:
        reservation.cancellation_invoice_item_id = billing.refund(
            session, service.account_of(reservation), amount,
            description=f"Cancellation of reservation {reservation.id}", reference=f"reservation:{reservation.id}",
            at=now,
        )
    reservation.cancelled = True
    reservation.updated_time = now
    session.flush()
    return reservation
