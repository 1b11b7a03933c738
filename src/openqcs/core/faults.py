"""Faults on purpose: REST calls that wait or fail because an administrator asked.

The table is tiny and changes rarely, so each HTTP process keeps it for ``TTL`` seconds; the
admin API drops that copy at once in its own process (a fault set through the CLI or another
replica shows within ``TTL``). Admin and issuer paths are never faulted, so a test can always
clear what it set and log in.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import msgspec
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from openqcs.context import AppContext
from openqcs.core.models import Fault
from openqcs.errors import InvalidArgument
from openqcs.http.errors import send_error

# Plain ASGI, as this middleware sits outside Litestar
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TTL = 1.0
# GRPC: for the gRPC services' interceptor (path = the full method, e.g.
# /services.controller.Controller/ExecuteControllerJob); REST calls never match it.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "GRPC")
EXEMPT = ("/admin/", "/oauth2/")
MAX_LATENCY_MS = 60_000
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
         429: "too_many_requests", 500: "internal_error", 502: "bad_gateway", 503: "unavailable",
         504: "gateway_timeout"}


class FaultSpec(msgspec.Struct, forbid_unknown_fields=True):
    path: str = "/v1/"
    method: str = ""
    status: int = 0
    latencyMs: int = 0
    fraction: float = 1.0
    message: str = ""


def check(spec: FaultSpec) -> FaultSpec:
    if not spec.path.startswith("/") or len(spec.path) > 300:
        raise InvalidArgument.field("body", "path", "path must be a URL path prefix such as /v1/ (≤ 300 chars)")
    if spec.path.startswith(EXEMPT):
        raise InvalidArgument.field("body", "path", "the admin API and the issuer cannot be faulted")
    if spec.status and spec.status not in CODES:
        raise InvalidArgument.field("body", "status", f"status must be 0 (delay only) or one of {sorted(CODES)}")
    if not 0 <= spec.latencyMs <= MAX_LATENCY_MS:
        raise InvalidArgument.field("body", "latencyMs", f"latencyMs must be within 0..{MAX_LATENCY_MS}")
    if not 0 < spec.fraction <= 1:
        raise InvalidArgument.field("body", "fraction", "fraction must be in (0, 1]")
    if not spec.status and not spec.latencyMs:
        raise InvalidArgument.field("body", (), "a fault needs a status, a latencyMs, or both")
    if spec.method and spec.method.upper() not in METHODS:
        raise InvalidArgument.field("body", "method", f"method must be {', '.join(METHODS)} or empty (any)")
    return spec


def to_wire(fault: Fault) -> dict[str, Any]:
    return {"id": fault.id, "path": fault.path, "method": fault.method, "status": fault.status,
            "latencyMs": fault.latency_ms, "fraction": fault.fraction, "message": fault.message}


def add_fault(session: Session, spec: FaultSpec) -> dict[str, Any]:
    check(spec)
    fault = Fault(path=spec.path, method=spec.method.upper(), status=spec.status, latency_ms=spec.latencyMs,
                  fraction=spec.fraction, message=spec.message[:300])
    session.add(fault)
    session.flush()
    return to_wire(fault)


def list_faults(session: Session) -> list[Fault]:
    return list(session.scalars(select(Fault).order_by(Fault.id)))


def clear_faults(session: Session) -> int:
    result: CursorResult[Any] = session.execute(delete(Fault))  # type: ignore[assignment]  # DML returns a cursor
    return result.rowcount or 0


_cached: tuple[float, list[dict[str, Any]]] = (0.0, [])


def invalidate() -> None:
    global _cached
    _cached = (0.0, [])


def _load(ctx: AppContext) -> list[dict[str, Any]]:
    with ctx.db.session() as session:
        return [to_wire(f) for f in list_faults(session)]


async def current(ctx: AppContext) -> list[dict[str, Any]]:
    """The faults in force (this process's copy, at most ``TTL`` old)."""
    global _cached
    loaded_at, found = _cached
    if time.monotonic() - loaded_at > TTL:
        found = await anyio.to_thread.run_sync(_load, ctx)
        _cached = (time.monotonic(), found)
    return found


def matching(found: list[dict[str, Any]], method: str, path: str) -> dict[str, Any] | None:
    """The first fault for ``method`` (GET…, or GRPC) and ``path``; an empty method matches any."""
    for fault in found:
        if path.startswith(fault["path"]) and fault["method"] in ("", method):
            return fault
    return None


class FaultMiddleware:
    """Outside Litestar (after request ids are set), so a faulted call still has its request id."""

    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        try:
            found = await current(self.ctx)
        except Exception:
            found = []
        fault = matching(found, scope["method"], scope["path"]) if found else None
        if fault is not None and random.random() < fault["fraction"]:
            if fault["latencyMs"]:
                await asyncio.sleep(fault["latencyMs"] / 1000)
            if fault["status"]:
                message = fault["message"] or f"fault injected by an administrator (status {fault['status']})"
                headers = {"retry-after": "1"} if fault["status"] in (429, 503) else None
                await send_error(scope, send, fault["status"], CODES[fault["status"]], message, headers)
                return
        await self.app(scope, receive, send)
