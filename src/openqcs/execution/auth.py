"""Bearer tokens on gRPC calls, verified exactly as on REST."""

from __future__ import annotations

from collections.abc import Iterable

from openqcs.context import AppContext
from openqcs.errors import Unauthenticated
from openqcs.identity.authentication import cached_caller as cached
from openqcs.identity.authentication import verify
from openqcs.identity.principal import Principal

Metadata = Iterable[tuple[str, str | bytes]] | None


def _header(metadata: Metadata) -> str | None:
    for key, value in metadata or ():
        if key.lower() == "authorization":
            return value.decode() if isinstance(value, bytes) else value
    return None


def principal_from_metadata(ctx: AppContext, metadata: Metadata) -> Principal:
    """The caller named by the ``authorization: Bearer`` metadata; Unauthenticated otherwise."""
    return verified_caller(ctx, metadata)[0]


def verified_caller(ctx: AppContext, metadata: Metadata) -> tuple[Principal, int | None]:
    """``principal_from_metadata`` and the auth generation it was verified under (None: unknown)."""
    principal, generation = verify(ctx, _header(metadata))
    if principal is None:
        raise Unauthenticated("this call needs 'authorization: Bearer <access token>' metadata; "
                              "check the credentials in your QCS secrets file")
    return principal, generation


async def cached_caller(ctx: AppContext, metadata: Metadata) -> tuple[Principal, int] | None:
    """The caller if their token was verified before and nothing changed since, with the auth
    generation; else None (verify it the full way). On the event loop."""
    return await cached(ctx, _header(metadata))
