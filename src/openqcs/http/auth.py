"""Bearer authentication for the API, written once.

``JWTBearer`` operations take ``principal: Principal`` (missing or bad token: 401 — never an
anonymous 200, because qcs-api-client only sends its token after a 401/403).
``JWTBearerOptional`` operations take ``viewer: Principal | None`` (no header: anonymous;
a bad header: 401).

A token seen before is answered from ``principals`` (no signature check, no user lookup);
on SQLite that check runs on the event loop, so a hit costs no thread hop either.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Request
from litestar.di import Provide

from openqcs.context import AppContext
from openqcs.errors import PermissionDenied, Unauthenticated
from openqcs.http.principals import authority
from openqcs.identity.principal import Principal, principal_from_claims


def bearer_token(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization header must be 'Bearer <token>'")
    return token.strip()


def cached_principal(ctx: AppContext, token: str) -> Principal | None:
    """The principal verified earlier for ``token``, if nothing has changed since; else None."""
    auth = authority(ctx)
    return auth.cache.get(token, auth.generations.read(), ctx.clock.now().timestamp())


def authenticate(ctx: AppContext, header: str | None) -> Principal | None:
    """The caller behind an ``Authorization`` header (None without one); Unauthenticated otherwise."""
    token = bearer_token(header)
    if token is None:
        return None
    auth = authority(ctx)
    # Read the generation before the lookup: a change committed in between then shows up as a
    # newer generation on the next request, and this entry is never used.
    generation = auth.generations.read()
    hit = auth.cache.get(token, generation, ctx.clock.now().timestamp())
    if hit is not None:
        return hit
    claims = ctx.tokens.verify(token)
    with ctx.db.session() as session:
        principal = principal_from_claims(session, claims, ctx.settings, ctx.clock)
    auth.cache.put(token, generation, float(claims["exp"]), principal)
    return principal


async def _optional(request: Request[Any, Any, Any], ctx: AppContext) -> Principal | None:
    header = request.headers.get("authorization")
    if header is None:
        return None  # anonymous: no thread hop, no database
    auth = authority(ctx)
    if auth.counters is None:  # SQLite: a local one-row read, cheaper on the loop than a thread hop
        hit = cached_principal(ctx, bearer_token(header) or "")
    else:  # PostgreSQL: one async round trip on the loop
        generation, _ = await auth.counters.read()
        hit = auth.cache.get(bearer_token(header) or "", generation, ctx.clock.now().timestamp())
    if hit is not None:
        return hit
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
