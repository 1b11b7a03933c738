"""The admin API (not part of QCS): reset, snapshot, clock, faults, processor status, and
(``admin_accounts``) users, groups, credit and processors for test setup.

Administrators only (``admin_auth``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import msgspec
from litestar import Request, delete, get, post, put

from openqcs.context import AppContext
from openqcs.core import admin_accounts, clock, faults, state
from openqcs.core.admin_auth import ADMIN, decode_body
from openqcs.errors import InvalidArgument

T = TypeVar("T")

PREFIX = "/admin/v1"


async def _body(request: Request, kind: type) -> Any:
    return decode_body(await request.body(), kind)


class ResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    empty: bool = False


class ClockRequest(msgspec.Struct, forbid_unknown_fields=True):
    offsetSeconds: float | None = None
    now: str | None = None


class AdvanceRequest(msgspec.Struct, forbid_unknown_fields=True):
    seconds: float


class StatusRequest(msgspec.Struct, forbid_unknown_fields=True):
    status: str


def _write(ctx: AppContext, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with ctx.db.session(write=True) as session:
        return fn(session, *args, **kwargs)


@post(f"{PREFIX}/reset", include_in_schema=False, dependencies=ADMIN, status_code=200)
async def reset_state(ctx: AppContext, operator: str, request: Request) -> dict[str, Any]:
    """Back to the demo seed, or ``{"empty": true}``: no users, no processors."""
    body = await _body(request, ResetRequest)
    tables = await anyio.to_thread.run_sync(lambda: state.reset(ctx, empty=body.empty))
    faults.invalidate()
    return {"tables": tables}


@get(f"{PREFIX}/state", include_in_schema=False, dependencies=ADMIN, sync_to_thread=True)
def get_state(ctx: AppContext, operator: str) -> dict[str, Any]:
    with ctx.db.session() as session:
        return state.export_state(session)


@put(f"{PREFIX}/state", include_in_schema=False, dependencies=ADMIN, status_code=200)
async def put_state(ctx: AppContext, operator: str, request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        snapshot = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise InvalidArgument.field("body", (), "the body is not JSON") from None
    tables = await anyio.to_thread.run_sync(_write, ctx, state.import_state, snapshot)
    faults.invalidate()
    return {"tables": tables}


@get(f"{PREFIX}/clock", include_in_schema=False, dependencies=ADMIN)
async def get_clock(ctx: AppContext, operator: str) -> dict[str, Any]:
    return clock.describe(ctx.settings)


@put(f"{PREFIX}/clock", include_in_schema=False, dependencies=ADMIN, status_code=200)
async def put_clock(ctx: AppContext, operator: str, request: Request) -> dict[str, Any]:
    """``{"offsetSeconds": 3600}`` (from real time) or ``{"now": "2030-01-01T00:00:00Z"}``."""
    body = await _body(request, ClockRequest)
    if (body.offsetSeconds is None) == (body.now is None):
        raise InvalidArgument.field("body", (), "give exactly one of offsetSeconds or now")
    if body.now is not None:
        clock.set_now(ctx.settings, clock.parse_time(body.now))
    else:
        clock.set_offset(ctx.settings, body.offsetSeconds)
    return clock.describe(ctx.settings)


@post(f"{PREFIX}/clock/advance", include_in_schema=False, dependencies=ADMIN, status_code=200)
async def advance_clock(ctx: AppContext, operator: str, request: Request) -> dict[str, Any]:
    body = await _body(request, AdvanceRequest)
    clock.advance(ctx.settings, body.seconds)
    return clock.describe(ctx.settings)


def _listed(ctx: AppContext) -> list[dict[str, Any]]:
    with ctx.db.session() as session:
        return [faults.to_wire(f) for f in faults.list_faults(session)]


# Async with explicit thread hops: three sync_to_thread handlers on one path break Litestar 2.25
# (docs/DEVELOPING.md).
@get(f"{PREFIX}/faults", include_in_schema=False, dependencies=ADMIN)
async def list_faults(ctx: AppContext, operator: str) -> dict[str, Any]:
    return {"faults": await anyio.to_thread.run_sync(_listed, ctx)}


@post(f"{PREFIX}/faults", include_in_schema=False, dependencies=ADMIN, status_code=201)
async def add_fault(ctx: AppContext, operator: str, request: Request) -> dict[str, Any]:
    """``{"path": "/v1/", "method": "GET", "status": 503, "latencyMs": 0, "fraction": 1.0}``."""
    body = await _body(request, faults.FaultSpec)
    made = await anyio.to_thread.run_sync(_write, ctx, faults.add_fault, body)
    faults.invalidate()
    return made


@delete(f"{PREFIX}/faults", include_in_schema=False, dependencies=ADMIN, status_code=200)
async def clear_faults(ctx: AppContext, operator: str) -> dict[str, Any]:
    removed = await anyio.to_thread.run_sync(_write, ctx, faults.clear_faults)
    faults.invalidate()
    return {"removed": removed}


@put(f"{PREFIX}/processors/{{processorId:str}}/status", include_in_schema=False, dependencies=ADMIN,
     status_code=200)
async def put_processor_status(ctx: AppContext, operator: str, processorId: str, request: Request) -> dict[str, Any]:
    """``{"status": "online" | "offline" | "degraded"}``."""
    from openqcs.processors import service as processors

    body = await _body(request, StatusRequest)
    found = await anyio.to_thread.run_sync(_write, ctx, processors.set_status, processorId, body.status)
    return {"id": found.id, "status": found.status}


ROUTES = [reset_state, get_state, put_state, get_clock, put_clock, advance_clock, list_faults, add_fault,
          clear_faults, put_processor_status, *admin_accounts.ROUTES]
