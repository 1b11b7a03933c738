"""CreateReservation on raw ASGI, in front of Litestar: POST /v1/reservations for a caller
whose answer needs nothing but memory and the booking's own transaction.

It books only when every check is settled without a lookup: a principal cached under the
current ``auth_generation``, a JSON body msgspec decodes strictly into
``CreateReservationRequest``, an account (body, else X-QCS-ACCOUNT headers, else the caller's
own) the non-administrator caller may act for, and a processor the generation-checked views
already say the caller may see.
Then ``reservations.flows`` books it in a transaction shared with the other bookings that
arrived together (``reservations.group_commit``: on SQLite on the event loop, never waiting for
the write lock; on PostgreSQL in one writer thread). The checks that need the cache counters
run in it, after one read of them. The answer is the 201 Litestar would send, byte for byte.

When the booking itself refuses (the slot is taken: 409; too little credit: 402) its savepoint
has rolled back, and the refusal is sent from here in the Error shape of ``http/errors.py`` with the
domain's own words, as Litestar would send it. Anything else — an unknown token, a miss, the
write lock taken (Busy), a bad body or slot (422), 401/403, any other error — goes on to
Litestar with the body already read replayed. A failed booking has rolled back, so Litestar may
book it instead; once committed the answer is sent from here, whatever happens, so nothing is
booked or charged twice.
"""

from __future__ import annotations

from collections.abc import Hashable, MutableMapping
from functools import partial
from types import SimpleNamespace
from typing import Any

import msgspec

from openqcs.billing.rates import rate_cache
from openqcs.context import AppContext
from openqcs.core.faults import Receive
from openqcs.db.generations import BOTH_SQL
from openqcs.errors import Conflict, PaymentRequired
from openqcs.http.errors import JSON, ErrorBody
from openqcs.identity.accounts import ACCOUNT_TYPES, Account, may_act_for
from openqcs.identity.authentication import known_principal
from openqcs.identity.principal import Principal
from openqcs.processors.views import processor_views
from openqcs.reservations import flows
from openqcs.reservations.group_commit import GroupCommit
from openqcs.reservations.prepared import Transaction
from openqcs.reservations.routes import visible_key
from openqcs.reservations.schemas import CreateReservationRequest, reservation_body

PATH = "/v1/reservations"
OPERATION = "CreateReservation"
_DECODER = msgspec.json.Decoder(CreateReservationRequest)  # strict: what it accepts, Litestar's lax decoding does
_ENCODER = msgspec.json.Encoder()
_JSON = b"application/json"
_ACCOUNT_ID, _ACCOUNT_TYPE = b"x-qcs-account-id", b"x-qcs-account-type"
COUNTERS = BOTH_SQL + ", (SELECT value FROM price_generation WHERE id = 1)"  # (auth, processor, price)

Headers = dict[bytes, bytes]
Counters = tuple[Any, ...] | None
Event = MutableMapping[str, Any]
# status, headers, body, operation id (as http/fastpath.py's answers)
Answer = tuple[int, dict[str, str], bytes, str]


class FastBooking:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        path = ctx.db.engine.url.database if ctx.db.is_sqlite else None
        # SQLite in memory books through Litestar: it is not a local file other connections share.
        self.enabled = not ctx.db.is_sqlite or (bool(path) and path != ":memory:")
        self.group: GroupCommit[SimpleNamespace | None] = GroupCommit(ctx.db, partial(_prelude, ctx.db.is_sqlite))

    def wants(self, scope: MutableMapping[str, Any], headers: Headers) -> bool:
        """Worth reading the body for: a bounded JSON POST with a token (and each account header
        at most once, as Litestar would read it)."""
        if not self.enabled or scope["method"] != "POST" or scope["path"] != PATH or scope.get("query_string"):
            return False
        length = headers.get(b"content-length")
        kind = headers.get(b"content-type", _JSON)
        if (length is None or not length.isdigit() or b"authorization" not in headers
                or kind.split(b";", 1)[0].strip().lower() != _JSON):
            return False
        if _ACCOUNT_ID in headers or _ACCOUNT_TYPE in headers:
            names = [name for name, _ in scope["headers"]]
            return names.count(_ACCOUNT_ID) <= 1 and names.count(_ACCOUNT_TYPE) <= 1
        return True

    async def answer(self, scope: MutableMapping[str, Any], receive: Receive,
                     headers: Headers) -> tuple[Answer | None, Receive]:
        """The answer, or None and a ``receive`` that gives Litestar the same request again."""
        events: list[Event] = []
        body = b""
        while True:
            event = await receive()
            events.append(event)
            if event["type"] != "http.request":  # the client went away: Litestar sees it too
                return None, _replay(events, receive)
            body += event.get("body", b"")
            if not event.get("more_body", False):
                break
        answer = await self.book(headers, body, scope.get("state", {}).get("request_id", ""))
        return answer, receive if answer is not None else _replay(events, receive)

    async def book(self, headers: Headers, body: bytes, request_id: str) -> Answer | None:
        try:
            data = _DECODER.decode(body)
        except msgspec.DecodeError:  # malformed, or not a valid request (ValidationError)
            return None  # Litestar words the 422
        booked, error = await self.group.submit(lambda tx, counters: self._book(tx, counters, headers, data),
                                                data.quantumProcessorId)
        if isinstance(error, Conflict | PaymentRequired):
            # The booking itself refused (taken, or too little credit) and rolled back: Litestar
            # would book the same way and refuse in these words (http/errors.domain_error).
            refusal = _ENCODER.encode(ErrorBody(code=error.code, message=error.message, requestId=request_id))
            return error.status, {"content-type": JSON, "content-length": str(len(refusal))}, refusal, OPERATION
        if booked is None:  # Litestar decides; or Busy or a failure: rolled back, nothing booked or charged
            return None
        # Committed: from here on this request is answered here, never handed on.
        return 201, {}, _ENCODER.encode(reservation_body(booked)), OPERATION

    def _book(self, tx: Transaction, counters: Counters, headers: Headers,
              data: CreateReservationRequest) -> SimpleNamespace | None:
        """The booking as stored, or None (nothing written) when Litestar must decide."""
        ctx = self.ctx
        if counters is None or None in counters:
            return None  # a counter row is missing: Litestar's readers put it back
        auth, processors, prices = counters
        principal = known_principal(ctx, headers[b"authorization"].decode("latin-1"), auth)
        if principal is None or principal.is_admin:  # an administrator's account needs a lookup
            return None
        account = _account(data, headers, principal)
        if account is None or not may_act_for(principal, account):
            return None  # Litestar says 422 (a bad account type) or 403
        if processor_views(ctx).get(processors, visible_key(principal, data.quantumProcessorId)) is not True:
            return None  # not known to be visible yet: Litestar looks (and fills the views)
        booking = flows.prepare(
            ctx.db, principal, account, data.quantumProcessorId, data.startTime, data.endTime, data.notes or "",
            now=ctx.clock.now(), settings=ctx.settings, processor_visible=True,
            rate=rate_cache(ctx.db).rate_under(prices, data.quantumProcessorId))
        return flows.book_in(tx, ctx.db.is_sqlite, booking, turn_taken=True)


def _prelude(is_sqlite: bool, tx: Transaction, processor_ids: list[Hashable]) -> Counters:
    """The three counters the caches ``_book`` uses are checked against, in one read; on
    PostgreSQL, first the group's turns on its processors, in one order for every group, so that
    no two transactions wait for each other's turns (flows.take_turns)."""
    if not is_sqlite:
        flows.take_turns(tx, {str(p) for p in processor_ids})
    tx.cursor.execute(COUNTERS)
    row = tx.cursor.fetchone()
    return None if row is None else tuple(row)


def _account(data: CreateReservationRequest, headers: Headers, principal: Principal) -> Account | None:
    """``http.accounts.account_from`` on the raw headers (body fields win); None: a bad type."""
    header_id, header_type = headers.get(_ACCOUNT_ID), headers.get(_ACCOUNT_TYPE)
    account_id = data.accountId or (header_id.decode("latin-1") if header_id is not None else None)
    account_type = data.accountType or (header_type.decode("latin-1") if header_type is not None else None)
    if account_type is not None and account_type not in ACCOUNT_TYPES:
        return None
    if not account_id:
        return Account.of_user(principal)
    return Account(account_id, account_type or "user")


def _replay(events: list[Event], receive: Receive) -> Receive:
    """``receive`` that first gives the events already read, then the client's own."""
    pending = list(reversed(events))

    async def replayed() -> Event:
        if pending:
            return pending.pop()
        return await receive()

    return replayed
