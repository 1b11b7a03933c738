"""Raw-ASGI answers for the hottest reads, in front of Litestar: GetHealth, the plain first page
of ListQuantumProcessors, GetInstructionSetArchitecture and GetReservation.

Only answers already in memory are served here (a principal seen before, a processor view and
ISA bytes made under the current generations, see ``identity/authentication.py`` and
``processors/views.py``); anything else — a query string, an unknown token, a miss, an error —
goes on to Litestar unchanged, which answers it and fills the caches. The checks this layer
needs (the counters, GetReservation's row) are one read: on SQLite on the event loop, on
PostgreSQL one async round trip on it (GetReservation's batched with its neighbours',
``http/pgreads.py``).
``http/gateway.py`` asks here after its own checks (body limit, rate limit); CreateReservation's
fast path is ``http/fastbook.py``.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

import msgspec
from prometheus_client import Counter

from openqcs.context import AppContext
from openqcs.core.faults import Scope
from openqcs.db.generations import local_sqlite, sqlite_counters
from openqcs.errors import OpenQCSError
from openqcs.http.pgreads import reservation_reads
from openqcs.identity.accounts import Account, may_act_for
from openqcs.identity.authentication import authority, known_principal
from openqcs.identity.principal import Principal
from openqcs.processors import routes as processors
from openqcs.processors.views import processor_views
from openqcs.processors.wire import JSON, document_answer
from openqcs.reservations.schemas import reservation_body
from openqcs.reservations.service import read_reservation_sqlite, reservation_from_pg_row

LIST = processors.BASE
ISA_PREFIX, ISA_SUFFIX = processors.BASE + "/", processors.ISA_SUFFIX
HEALTH_BODY = b'{"status":"PASS"}'
# Metrics are labelled by the handler's operation id; these stand in for Litestar's handlers.
HANDLERS = {name: SimpleNamespace(operation_id=name)
            for name in ("GetHealth", "ListQuantumProcessors", "GetInstructionSetArchitecture", "GetReservation",
                         "CreateReservation")}
# Which requests were answered here, not by Litestar (the operation's own series count both).
FAST_ANSWERS = Counter("openqcs_http_fast_answers", "HTTP requests answered in front of Litestar", ["operation"])
RESERVATION_PREFIX = "/v1/reservations/"
_PLAIN = {"GetHealth", "GetReservation", "CreateReservation"}  # Litestar's for a Struct / dict: plain JSON

Answer = tuple[int, dict[str, str], bytes, str]  # status, headers, body, operation id
Headers = dict[bytes, bytes]


class FastPath:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def answer(self, scope: Scope, headers: Headers) -> Answer | None:
        """The response from memory, or None to let Litestar handle the request."""
        if scope["method"] != "GET" or scope.get("query_string"):
            return None
        path: str = scope["path"]
        if path.startswith(RESERVATION_PREFIX):
            return await self.reservation(path, headers.get(b"authorization"))
        if path == "/" or path == LIST or (path.startswith(ISA_PREFIX) and path.endswith(ISA_SUFFIX)):
            text = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers.items()}
            counters = authority(self.ctx).counters
            # SQLite: read the counters here, on the loop (both in one read when a token needs the
            # auth one); PostgreSQL: one async round trip.
            if counters is not None:
                return self.document(path, text, await counters.read())
            return self.document(path, text, sqlite_counters(self.ctx.db) if b"authorization" in headers else None)
        return None

    def document(self, path: str, headers: dict[str, str], counters: tuple[int | None, int | None] | None,
                 ) -> Answer | None:
        """GetHealth, the processor list or an ISA. ``counters``: the (auth, processor)
        generations already read, or None to read them here."""
        try:
            known, viewer = self._viewer(headers, counters)
            if not known:
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
                listed: bytes | None = views.get(generation, processors.plain_list_key(viewer))
                if listed is None or (len(listed) >= 1024 and "accept-encoding" in headers):
                    return None
                return 200, {"vary": "Accept-Encoding"}, listed, "ListQuantumProcessors"
            processor_id = path[len(ISA_PREFIX):-len(ISA_SUFFIX)]
            if "/" in processor_id:
                return None
            ref = views.get(generation, processors.isa_key(viewer, processor_id))
            body = processors.DOCUMENTS.peek(ref.etag) if ref is not None else None
            if ref is None or body is None:
                return None
            kept = body
            status, out, sent = document_answer(headers, processors.DOCUMENTS, ref.etag, lambda: kept)
            return status, out, sent, "GetInstructionSetArchitecture"
        except OpenQCSError:
            return None  # Litestar gives the proper error

    async def reservation(self, path: str, header: bytes | None) -> Answer | None:
        """GetReservation for a known token that may see it: one plain read."""
        digits = path[len(RESERVATION_PREFIX):]
        if header is None or not digits.isdigit() or not 0 < int(digits) < 2**63:
            return None
        text = header.decode("latin-1")
        auth = authority(self.ctx)
        principal: Principal | None
        found: Any  # a row with the Reservation's attribute names
        if auth.counters is None:  # SQLite: the row and the auth generation in one local read on the loop
            generation, found = read_reservation_sqlite(local_sqlite(self.ctx.db).connection(), int(digits))
            principal = known_principal(self.ctx, text, generation) if found else None
        else:  # PostgreSQL: the row and the auth generation in one async round trip on the loop
            row = await reservation_reads(self.ctx).get(int(digits))
            principal = known_principal(self.ctx, text, row[0]) if row else None
            found = reservation_from_pg_row(row) if row and principal else None
        if principal is None or found is None:
            return None  # Litestar says 401 / 404 in the spec's words
        if not may_act_for(principal, Account(found.account_id, found.account_type)):
            return None  # and 403
        return 200, {}, msgspec.json.encode(reservation_body(found)), "GetReservation"

    def _viewer(self, headers: dict[str, str], counters: tuple[int | None, int | None] | None,
                ) -> tuple[bool, Principal | None]:
        """(False, None) for a token not seen before; else (True, the caller or None: anonymous)."""
        header = headers.get("authorization")
        if header is None:
            return True, None
        generation = authority(self.ctx).generations.read() if counters is None else counters[0]
        hit = known_principal(self.ctx, header, generation)
        return hit is not None, hit


@functools.lru_cache(maxsize=16)
def answered_here(operation: str) -> Counter:
    """The ``FAST_ANSWERS`` series of an operation (``labels()`` checks and locks on each call)."""
    return FAST_ANSWERS.labels(operation)


def response_headers(answer: Answer) -> list[tuple[bytes, bytes]]:
    status, headers, body, operation = answer
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    if status in (200, 201):
        raw.append((b"content-type", b"application/json" if operation in _PLAIN else JSON.encode()))
        raw.append((b"content-length", str(len(body)).encode()))
    return raw
