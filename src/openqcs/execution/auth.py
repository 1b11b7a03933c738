"""Bearer tokens on gRPC calls, verified exactly as on REST."""

from __future__ import annotations

from collections.abc import Iterable

from openqcs.context import AppContext
from openqcs.errors import Unauthenticated
from openqcs.identity.authentication import authenticate
from openqcs.identity.principal import Principal


def principal_from_metadata(ctx: AppContext, metadata: Iterable[tuple[str, str | bytes]] | None) -> Principal:
    """The caller named by the ``authorization: Bearer`` metadata; Unauthenticated otherwise."""
    header = None
    for key, value in metadata or ():
        if key.lower() == "authorization":
            header = value.decode() if isinstance(value, bytes) else value
            break
    principal = authenticate(ctx, header)
    if principal is None:
        raise Unauthenticated("this call needs 'authorization: Bearer <access token>' metadata; "
                              "check the credentials in your QCS secrets file")
    return principal
