"""Bearer authentication for the API, written once.

``JWTBearer`` operations take ``principal: Principal`` (missing or bad token: 401 — never an
anonymous 200, because qcs-api-client only sends its token after a 401/403).
``JWTBearerOptional`` operations take ``viewer: Principal | None`` (no header: anonymous;
a bad header: 401).

Authentication itself is ``identity.authentication`` (gRPC and the admin API use it too). A
token seen before is answered from its cache (no signature check, no user lookup); on SQLite that
check runs on the event loop, so a hit costs no thread hop either.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Request
from litestar.di import Provide

from openqcs.context import AppContext
from openqcs.errors import PermissionDenied, Unauthenticated
from openqcs.identity.authentication import authenticate, cached_caller
from openqcs.identity.principal import Principal


async def _optional(request: Request[Any, Any, Any], ctx: AppContext) -> Principal | None:
    header = request.headers.get("authorization")
    if header is None:
        return None  # anonymous: no thread hop, no database
    # On the loop: cheaper than a thread hop (a malformed header gets its 401 from authenticate).
    known = await cached_caller(ctx, header)
    if known is not None:
        return known[0]
    return await anyio.to_thread.run_sync(authenticate, ctx, header)


async def _required(request: Request[Any, Any, Any], ctx: AppContext) -> Principal:
    principal = await _optional(request, ctx)
    if principal is None:
        raise Unauthenticated("this operation needs a bearer token")
    return principal


async def _admin(request: Request[Any, Any, Any], ctx: AppContext) -> Principal:
    principal = await _required(request, ctx)
    if not principal.is_admin:
        raise PermissionDenied("this operation is for administrators")
    return principal


def _context(request: Request[Any, Any, Any]) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


# Dependencies every domain's routes use by name. The principal ones depend on ``ctx``, so a
# handler taking both resolves them one after the other: a batch of two would start a task group.
DEPENDENCIES = {
    "ctx": Provide(_context, sync_to_thread=False),
    "principal": Provide(_required),
    "viewer": Provide(_optional),
    "admin": Provide(_admin),
}
