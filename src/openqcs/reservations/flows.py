"""Booking and cancelling: the reservation and its ledger entry change in one transaction.

Call these inside ``ctx.db.session(write=True)``. Double booking is impossible because:
on SQLite that session holds the database write lock from BEGIN, so the overlap check and
the insert cannot interleave with another writer; on PostgreSQL the exclusion constraint
``ex_reservations_no_overlap`` rejects the second of two racing inserts (mapped to 409; SQLite
has the same rule as a trigger), and
``billing.service.charge`` locks the account row so the balance check and debit are atomic.
A failure anywhere rolls back the debit with the booking.

Refund policy on cancellation (settings ``reservation_full_refund_hours`` and
``reservation_late_refund_percent``): the full price when cancelled more than 24 h before the
start; 50 % (rounded down) from then until the start; nothing once it has started.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openqcs.billing import service as billing
from openqcs.config import Settings
from openqcs.errors import Conflict, InvalidArgument, NotFound
from openqcs.identity.accounts import Account, require_account
from openqcs.identity.principal import Principal
from openqcs.processors.service import get_processor
from openqcs.reservations import service
from openqcs.reservations.models import Reservation

EXCLUSION_VIOLATION = "23P01"


def unavailable(processor_id: str) -> Conflict:
    return Conflict(f"the requested time on '{processor_id}' is already reserved or under maintenance",
                    code="reservation_unavailable")


_TABLE = Reservation.__table__
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
_SET_INVOICE = (update(_TABLE).where(_TABLE.c.id == bindparam("reservation_id"))
                .values(creation_invoice_item_id=bindparam("item_id")))


def create_reservation(
    session: Session,
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
) -> Reservation:
    """Book [start, end) on the processor for ``account`` and charge it.

    ``processor_visible``: the caller already knows the principal may see the processor (from
    the generation-checked processor views), so its lookup is skipped.

    InvalidArgument (bad slot, unknown processor), PermissionDenied (not the caller's account),
    Conflict ``reservation_unavailable`` (overlap), PaymentRequired (balance too low).
    """
    if not processor_visible:
        try:
            get_processor(session, processor_id, principal)
        except NotFound as exc:
            raise InvalidArgument.field("body", "quantumProcessorId", exc.message) from None
    try:
        require_account(session, principal, account)
    except NotFound as exc:  # an administrator named an account that does not exist
        raise InvalidArgument.field("body", "accountId", exc.message) from None
    service.check_slot(start, end, now, settings)
    if not service.is_free(session, processor_id, start, end):
        raise unavailable(processor_id)
    price = billing.reservation_price_cents(session, processor_id, start, end)
    values = dict(
        processor_id=processor_id, account_type=account.type, account_id=account.id,
        created_by_type="user", created_by_id=principal.idp_id, start_time=start, end_time=end,
        price=price, notes=notes, cancelled=False, creation_invoice_item_id=None,
        cancellation_invoice_item_id=None, created_time=now, updated_time=now,
    )
    try:
        # Insert first: on PostgreSQL a racing booking of the same time fails here, before any
        # money moves; the charge below then locks the account for an exact balance check.
        # Core statements built once: the ORM's unit of work cost more than the SQL here.
        reservation_id = session.execute(_INSERT, values).scalar_one()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == EXCLUSION_VIOLATION or "reservation_overlap" in str(exc.orig):
            raise unavailable(processor_id) from None
        raise
    item_id = billing.charge(
        session, account, price, product="reservationCreation",
        description=f"Reservation {reservation_id} on {processor_id}, {start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC",
        reference=f"reservation:{reservation_id}", at=now,
    )
    session.execute(_SET_INVOICE, {"reservation_id": reservation_id, "item_id": item_id})
    # A detached copy for the caller to read (never added to the session: no second write).
    return Reservation(id=reservation_id, **{**values, "creation_invoice_item_id": item_id})


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
