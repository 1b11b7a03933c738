"""Raw-ASGI answers for the hottest reads, in front of Litestar: GetHealth, the plain first page
of ListQuantumProcessors, GetInstructionSetArchitecture and GetReservation.

Only answers already in memory are served here (a principal seen before, a processor view and
ISA bytes made under the current generations, see ``http/principals.py`` and
``processors/views.py``); anything else — a query string, an unknown token, a miss, an error —
goes on to Litestar unchanged, which answers it and fills the caches. The checks this layer
needs are two one-row reads: on SQLite they run on the event loop, on PostgreSQL as one async
round trip on it. Rate limiting and the other outer layers still see every request.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import msgspec

from openqcs.context import AppContext
from openqcs.db.generations import AsyncReads, local_sqlite
from openqcs.errors import OpenQCSError
from openqcs.http.auth import bearer_token, cached_principal
from openqcs.http.principals import authority
from openqcs.identity.accounts import Account, may_act_for
from openqcs.processors import routes as processors
from openqcs.processors.views import processor_views
from openqcs.processors.wire import JSON, document_answer
from openqcs.reservations.schemas import reservation_body
from openqcs.reservations.service import PG_BY_ID, read_reservation_sqlite, reservation_from_pg_row

LIST = processors.BASE
ISA_PREFIX, ISA_SUFFIX = processors.BASE + "/", processors.ISA_SUFFIX
HEALTH_BODY = b'{"status":"PASS"}'
# Observe labels metrics by the handler's operation id; these stand in for Litestar's handlers.
HANDLERS = {name: SimpleNamespace(operation_id=name)
            for name in ("GetHealth", "ListQuantumProcessors", "GetInstructionSetArchitecture", "GetReservation")}
RESERVATION_PREFIX = "/v1/reservations/"
_MISS = object()

Answer = tuple[int, dict[str, str], bytes, str]


class FastPath:
    def __init__(self, app: Any, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("query_string"):
            path = scope["path"]
            if path.startswith(RESERVATION_PREFIX):
                found = await self.reservation(path, scope.get("headers") or ())
                if found is not None:
                    await _send(scope, send, found)
                    return
            elif path == "/" or path == LIST or (path.startswith(ISA_PREFIX) and path.endswith(ISA_SUFFIX)):
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or ()}
                counters = authority(self.ctx).counters
                if counters is None:  # SQLite: read here, on the loop
                    answer = self.answer(path, headers, None)
                else:
                    answer = self.answer(path, headers, await counters.read())
                if answer is not None:
                    await _send(scope, send, answer)
                    return
        await self.app(scope, receive, send)

    def answer(self, path: str, headers: dict[str, str], counters: tuple | None) -> Answer | None:
        """The response from memory, or None to let Litestar handle the request. ``counters``:
        the (auth, processor) generations already read, or None to read them here."""
        try:
            viewer = self._viewer(headers, counters)
            if viewer is _MISS:
                return None
            views = processor_views(self.ctx)
            generation = views.generations.read() if counters is None else counters[1]
            if generation is None:
                return None
            if path == "/":  # the counter read is the database check GetHealth makes
                if "text/html" in headers.get("accept", ""):
                    return None  # a browser: GetHealth sends it to the console
                return 200, {}, HEALTH_BODY, "GetHealth"
            if path == LIST:
                body = views.get(generation, processors.plain_list_key(viewer))
                if body is None or (len(body) >= 1024 and "accept-encoding" in headers):
                    return None
                return 200, {"vary": "Accept-Encoding"}, body, "ListQuantumProcessors"
            processor_id = path[len(ISA_PREFIX):-len(ISA_SUFFIX)]
            ref = views.get(generation, processors.isa_key(viewer, processor_id)) if "/" not in processor_id else None
            body = processors.DOCUMENTS.peek(ref.etag) if ref is not None else None
            if body is None:
                return None
            status, out, body = document_answer(headers, processors.DOCUMENTS, ref.etag, lambda: body)
            return status, out, body, "GetInstructionSetArchitecture"
        except OpenQCSError:
            return None  # Litestar gives the proper error

    async def reservation(self, path: str, raw_headers) -> Answer | None:
        """GetReservation for a known token that may see it: one plain read."""
        digits = path[len(RESERVATION_PREFIX):]
        if not digits.isdigit() or not 0 < int(digits) < 2**63:
            return None
        header = next((v for k, v in raw_headers if k.lower() == b"authorization"), None)
        if header is None:
            return None
        try:
            token = bearer_token(header.decode("latin-1")) or ""
        except OpenQCSError:
            return None
        auth = authority(self.ctx)
        if auth.counters is None:  # SQLite: a local read on the loop
            principal = cached_principal(self.ctx, token)
            found = read_reservation_sqlite(local_sqlite(self.ctx.db).connection(), int(digits)) if principal else None
        else:  # PostgreSQL: the row and the auth generation in one async round trip on the loop
            row = await async_reads(self.ctx).one(PG_BY_ID, (int(digits),))
            principal = auth.cache.get(token, row[0], self.ctx.clock.now().timestamp()) if row else None
            found = reservation_from_pg_row(row) if principal else None
        if found is None or not may_act_for(principal, Account(found.account_id, found.account_type)):
            return None  # Litestar says 401 / 404 / 403 in the spec's words
        return 200, {}, msgspec.json.encode(reservation_body(found)), "GetReservation"

    def _viewer(self, headers: dict[str, str], counters: tuple | None) -> Any:
        header = headers.get("authorization")
        if header is None:
            return None
        token = bearer_token(header) or ""
        if counters is None:
            hit = cached_principal(self.ctx, token)
        else:
            hit = authority(self.ctx).cache.get(token, counters[0], self.ctx.clock.now().timestamp())
        return _MISS if hit is None else hit


async def _send(scope, send, answer: Answer) -> None:
    status, headers, body, operation = answer
    scope["route_handler"] = HANDLERS[operation]
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    if status == 200:
        plain = operation in ("GetHealth", "GetReservation")  # what Litestar sends for a Struct / dict
        raw.append((b"content-type", ("application/json" if plain else JSON).encode()))
        raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def async_reads(ctx: AppContext) -> AsyncReads:
    found = vars(ctx).get("_async_reads")
    if found is None:
        found = vars(ctx).setdefault("_async_reads", AsyncReads(ctx.db))
    return found


def wrap(app: Any, ctx: AppContext) -> Any:
    return FastPath(app, ctx)
