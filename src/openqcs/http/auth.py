"""Bearer authentication for the API, written once.

``JWTBearer`` operations take ``principal: Principal`` (missing or bad token: 401 — never an
anonymous 200, because qcs-api-client only sends its token after a 401/403).
``JWTBearerOptional`` operations take ``viewer: Principal | None`` (no header: anonymous;
a bad header: 401).
"""

from __future__ import annotations

import anyio
from litestar import Request
from litestar.di import Provide

from openqcs.context import AppContext
from openqcs.errors import PermissionDenied, Unauthenticated
from openqcs.identity.principal import Principal, principal_from_claims


def bearer_token(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization header must be 'Bearer <token>'")
    return token.strip()


def authenticate(ctx: AppContext, header: str | None) -> Principal | None:
    token = bearer_token(header)
    if token is None:
        return None
    claims = ctx.tokens.verify(token)
    with ctx.db.session() as session:
        return principal_from_claims(session, claims, ctx.settings, ctx.clock)


async def _optional(request: Request) -> Principal | None:
    header = request.headers.get("authorization")
    if header is None:
        return None  # anonymous: no thread hop, no database
    return await anyio.to_thread.run_sync(authenticate, request.app.state.ctx, header)


async def _required(request: Request) -> Principal:
    principal = await _optional(request)
    if principal is None:
        raise Unauthenticated("this operation needs a bearer token")
    return principal


async def _admin(request: Request) -> Principal:
    principal = await _required(request)
    if not principal.is_admin:
        raise PermissionDenied("this operation is for administrators")
    return principal


def _context(request: Request) -> AppContext:
    return request.app.state.ctx


# Dependencies every domain's routes use by name.
DEPENDENCIES = {
    "ctx": Provide(_context, sync_to_thread=False),
    "principal": Provide(_required),
    "viewer": Provide(_optional),
    "admin": Provide(_admin),
}
