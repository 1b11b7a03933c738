"""CreateReservation, GetReservation, DeleteReservation, ListReservations,
ListGroupReservations, FindAvailableReservations, GetQuantumProcessorCalendar."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import anyio
from litestar import Request, delete, get, post

from openqcs.context import AppContext
from openqcs.errors import InvalidArgument, NotFound, PermissionDenied
from openqcs.http.accounts import account_from
from openqcs.http.lists import list_query, paginate
from openqcs.http.offload import run_read
from openqcs.identity.accounts import Account, may_act_for
from openqcs.identity.principal import Principal
from openqcs.processors.service import get_processor
from openqcs.processors.views import Key, processor_views, visibility
from openqcs.reservations import flows, service
from openqcs.reservations.calendar import processor_calendar
from openqcs.reservations.prepared import Busy
from openqcs.reservations.schemas import (
    FILTER_TYPES,
    AvailableReservation,
    CreateReservationRequest,
    FindAvailableReservationsResponse,
    ListReservationsResponse,
    QuantumProcessorCalendar,
    ReservationBody,
    filter_fields,
    reservation_body,
)


def _reservation_id(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise NotFound(f"reservation '{raw}' not found") from None
    if not 0 < value < 2**63:  # beyond any stored id, and beyond what the databases' integers hold
        raise NotFound(f"reservation '{raw}' not found")
    return value


def visible_key(principal: Principal, processor_id: str) -> Key:
    """Where the processor views keep whether ``principal`` may see the processor (True/False)."""
    return ("visible", visibility(principal), processor_id)


def _processor_visible(ctx: AppContext, principal: Principal, processor_id: str) -> bool:
    """From the generation-checked processor views; outside the write lock."""
    def load() -> bool:
        with ctx.db.session() as session:
            try:
                get_processor(session, processor_id, principal)
            except NotFound:
                return False
            return True

    return processor_views(ctx).through(visible_key(principal, processor_id), load)


def _book(ctx: AppContext, principal: Principal, account: Account, data: CreateReservationRequest, *,
          wait: bool) -> ReservationBody:
    visible = _processor_visible(ctx, principal, data.quantumProcessorId)
    booked = flows.create_reservation(ctx.db, principal, account, data.quantumProcessorId, data.startTime,
                                      data.endTime, data.notes or "", now=ctx.clock.now(), settings=ctx.settings,
                                      processor_visible=visible, wait=wait)
    return reservation_body(booked)


@post("/v1/reservations", operation_id="CreateReservation", status_code=201)
async def create_reservation(request: Request[Any, Any, Any], data: CreateReservationRequest, ctx: AppContext,
                             principal: Principal) -> ReservationBody:
    account = account_from(request, principal, data.accountId, data.accountType)
    if ctx.db.is_sqlite:  # on the loop while the write lock is free: the thread hop cost more than the booking
        try:
            return _book(ctx, principal, account, data, wait=False)
        except Busy:
            pass
    return await anyio.to_thread.run_sync(partial(_book, ctx, principal, account, data, wait=True))


def _read_reservation(ctx: AppContext, principal: Principal, reservation_id: int) -> ReservationBody:
    with ctx.db.engine.connect() as conn:
        return reservation_body(service.find_reservation(conn, principal, reservation_id))


@get("/v1/reservations/{reservationId:str}", operation_id="GetReservation")
async def get_reservation(reservationId: str, ctx: AppContext, principal: Principal) -> ReservationBody:
    return await run_read(ctx, _read_reservation, ctx, principal, _reservation_id(reservationId))


@delete("/v1/reservations/{reservationId:str}", operation_id="DeleteReservation", status_code=200,
        sync_to_thread=True)
def delete_reservation(reservationId: str, ctx: AppContext, principal: Principal) -> ReservationBody:
    with ctx.db.session(write=True) as session:
        cancelled = flows.cancel_reservation(session, principal, _reservation_id(reservationId),
                                             now=ctx.clock.now(), settings=ctx.settings)
        return reservation_body(cancelled)


def _list(request: Request[Any, Any, Any], ctx: AppContext, account: Account,
          operation_id: str) -> ListReservationsResponse:
    params = request.query_params
    query = list_query(params, operation_id=operation_id, signer=ctx.signer, scope=f"{account.type}:{account.id}",
                       fields=FILTER_TYPES, default_order="startTime")
    # The deprecated ``cancelled`` filter field only makes sense if cancelled ones are listed.
    include_cancelled = query.show_deleted or "cancelled" in (params.get("filter") or "")
    with ctx.db.session() as session:
        rows = service.account_reservations(session, account, include_cancelled=include_cancelled)
    page = paginate(rows, query, ctx.signer, filter_fields)
    return ListReservationsResponse([reservation_body(r) for r in page.items], page.next_page_token or "")


def _may_list(principal: Principal, account: Account) -> None:
    # No existence check: an unknown account simply has no reservations.
    if not may_act_for(principal, account):
        raise PermissionDenied(f"you may not see the reservations of {account.type} account '{account.id}'")


@get("/v1/reservations", operation_id="ListReservations", sync_to_thread=True)
def list_reservations(request: Request[Any, Any, Any], ctx: AppContext,
                      principal: Principal) -> ListReservationsResponse:
    account = account_from(request, principal)
    _may_list(principal, account)
    return _list(request, ctx, account, "ListReservations")


@get("/v1/groups/{groupName:str}/reservations", operation_id="ListGroupReservations", sync_to_thread=True)
def list_group_reservations(request: Request[Any, Any, Any], groupName: str, ctx: AppContext,
                            principal: Principal) -> ListReservationsResponse:
    account = Account(groupName, "group")
    _may_list(principal, account)
    return _list(request, ctx, account, "ListGroupReservations")


def _query_time(raw: str | None, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw or "")
    except ValueError:
        raise InvalidArgument.field("query", name, f"{name} must be an RFC 3339 date-time") from None
    if value.tzinfo is None:
        raise InvalidArgument.field("query", name, f"{name} needs a time zone (e.g. 'Z')")
    return value


@get("/v1/reservations:findAvailable", operation_id="FindAvailableReservations", sync_to_thread=True)
def find_available_reservations(request: Request[Any, Any, Any], ctx: AppContext,
                                principal: Principal) -> FindAvailableReservationsResponse:
    params = request.query_params
    processor_id = params.get("quantumProcessorId") or ""
    start_from = _query_time(params.get("startTimeFrom"), "startTimeFrom")
    duration = service.parse_go_duration(params.get("duration"))
    query = list_query(params, operation_id="FindAvailableReservations", signer=ctx.signer,
                       scope=f"{processor_id}|{start_from.isoformat()}|{duration}")
    with ctx.db.session() as session:
        windows = service.available_windows(session, principal, processor_id, start_from, duration,
                                            now=ctx.clock.now(), settings=ctx.settings)
    page = paginate(windows, query, ctx.signer)
    text = service.format_go_duration(duration)
    found = [AvailableReservation(processor_id, s, e, text, price) for s, e, price in page.items]
    return FindAvailableReservationsResponse(found, page.next_page_token)


@get("/v1/calendars/{quantumProcessorId:str}", operation_id="GetQuantumProcessorCalendar", sync_to_thread=True)
def get_quantum_processor_calendar(quantumProcessorId: str, ctx: AppContext,
                                   principal: Principal) -> QuantumProcessorCalendar:
    with ctx.db.session() as session:
        get_processor(session, quantumProcessorId, principal)
        return QuantumProcessorCalendar(processor_calendar(session, quantumProcessorId, ctx.clock.now()))


ROUTES = [create_reservation, get_reservation, delete_reservation, list_reservations, list_group_reservations,
          find_available_reservations, get_quantum_processor_calendar]
