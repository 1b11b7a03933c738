"""Wire shapes of the reservation operations, with the spec's field names."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from openqcs.reservations.models import Reservation

AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]


class CreateReservationRequest(msgspec.Struct, forbid_unknown_fields=False):
    quantumProcessorId: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    startTime: AwareTime
    endTime: AwareTime
    accountId: Annotated[str, msgspec.Meta(max_length=320)] | None = None
    accountType: Literal["user", "group"] | None = None
    notes: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class ReservationBody(msgspec.Struct, omit_defaults=True):
    id: int
    accountId: str
    accountType: str
    userId: str
    quantumProcessorId: str
    startTime: datetime
    endTime: datetime
    createdTime: datetime
    price: int
    cancelled: bool
    createdByAccountId: str | None = None
    createdByAccountType: str | None = None
    creationBillingInvoiceItemId: str | None = None
    cancellationBillingInvoiceItemId: str | None = None
    notes: str | None = None
    updatedTime: datetime | None = None


class ListReservationsResponse(msgspec.Struct):
    reservations: list[ReservationBody]
    # Required by the spec (qcs-api-client reads it unconditionally): "" on the last page.
    nextPageToken: str


class AvailableReservation(msgspec.Struct):
    quantumProcessorId: str
    startTime: datetime
    endTime: datetime
    duration: str
    price: int


class FindAvailableReservationsResponse(msgspec.Struct, omit_defaults=True):
    availableReservations: list[AvailableReservation]
    nextPageToken: str | None = None


class QuantumProcessorCalendar(msgspec.Struct):
    maintenanceICal: str


def reservation_body(r: Any) -> ReservationBody:
    """From a Reservation, or a Row / namespace with its attribute names (the read paths)."""
    return ReservationBody(
        id=r.id, accountId=r.account_id, accountType=r.account_type,
        # userId is deprecated; for a group booking it names the group, as accountId does.
        userId=r.account_id,
        quantumProcessorId=r.processor_id, startTime=r.start_time, endTime=r.end_time,
        createdTime=r.created_time, price=r.price, cancelled=r.cancelled,
        createdByAccountId=r.created_by_id, createdByAccountType=r.created_by_type,
        creationBillingInvoiceItemId=r.creation_invoice_item_id,
        cancellationBillingInvoiceItemId=r.cancellation_invoice_item_id,
        notes=r.notes or None, updatedTime=r.updated_time,
    )


def filter_fields(r: Reservation) -> dict[str, Any]:
    """The values ListReservations filters and orders on, by wire name."""
    return {"startTime": r.start_time, "endTime": r.end_time, "createdTime": r.created_time, "price": r.price,
            "quantumProcessorId": r.processor_id, "cancelled": r.cancelled}


FILTER_TYPES = {"startTime": datetime, "endTime": datetime, "createdTime": datetime, "price": int,
                "quantumProcessorId": str, "cancelled": bool}
