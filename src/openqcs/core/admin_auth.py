"""Who may call the admin API (``/admin/v1/…``), and its body decoding.

An administrator's bearer token, or the server's ``OPENQCS_ADMIN_TOKEN`` (which keeps working
after a reset has removed every user).
"""

from __future__ import annotations

import hmac
from typing import Any

import anyio
import msgspec
from litestar import Request
from litestar.di import Provide

from openqcs.context import AppContext
from openqcs.errors import InvalidArgument, PermissionDenied, Unauthenticated
from openqcs.identity.authentication import authenticate, bearer_token


async def _operator(request: Request) -> str:
    """Who is calling (``admin-token`` or the admin's email); 401/403 for anyone else."""
    ctx: AppContext = request.app.state.ctx
    header = request.headers.get("authorization")
    token = bearer_token(header)
    if token is None:
        raise Unauthenticated("the admin API needs a bearer token (an admin's, or OPENQCS_ADMIN_TOKEN)")
    expected = ctx.settings.admin_token
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return "admin-token"
    principal = await anyio.to_thread.run_sync(authenticate, ctx, header)
    if principal is None or not principal.is_admin:
        raise PermissionDenied("the admin API is for administrators")
    return principal.email


ADMIN = {"operator": Provide(_operator)}


def decode_body(raw: bytes, kind: type) -> Any:
    """``raw`` JSON as ``kind`` (an empty body: the defaults), or a 422 naming what is wrong."""
    try:
        return msgspec.json.decode(raw or b"{}", type=kind)
    except msgspec.ValidationError as exc:
        raise InvalidArgument.field("body", (), f"invalid body: {exc}") from None
    except msgspec.DecodeError:
        raise InvalidArgument.field("body", (), "the body is not JSON") from None
