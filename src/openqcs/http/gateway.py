"""The one plain-ASGI layer in front of Litestar; every HTTP request passes it once:

request id → administrator's faults (``core/faults.py``) → body limit → rate limit → the fast
path's answers from memory (``http/fastpath.py``) and bookings (``http/fastbook.py``) → Litestar;
then its metrics and one access-log line. It wraps the whole app, so unknown routes and 405s get a request id too.
The request headers are read into one dict, once.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import MutableMapping
from typing import Any

from litestar.exceptions import ClientException

from openqcs.context import AppContext
from openqcs.core.faults import ASGIApp, FaultMiddleware, Receive, Scope, Send
from openqcs.http.errors import send_error
from openqcs.http.fastbook import FastBooking
from openqcs.http.fastpath import HANDLERS, FastPath, Headers, answered_here, response_headers
from openqcs.http.observe import record
from openqcs.http.ratelimit import limiter

REQUEST_ID = b"x-request-id"
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._-]{8,128}$")
HEADERS = "openqcs.headers"  # the scope key of the headers dict, for the inner half


class Gateway:
    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.fast = FastPath(ctx)
        self.booking = FastBooking(ctx)
        self.limiter = limiter(ctx)
        self.max_body = ctx.settings.max_body_bytes
        self.too_large = f"request body is larger than {self.max_body} bytes"
        self._faulted = FaultMiddleware(self._serve, ctx)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: Headers = dict(scope["headers"])
        given = headers.get(REQUEST_ID)
        request_id = given.decode() if given and _SAFE_ID.match(given) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        scope[HEADERS] = headers
        tag = (REQUEST_ID, request_id.encode())
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), tag]
            await send(message)

        try:
            await self._faulted(scope, receive, send_with_id)
        finally:
            operation = getattr(scope.get("route_handler"), "operation_id", None)
            record(operation if isinstance(operation, str) and operation else "unmatched", scope["method"],
                   scope["path"], status, time.perf_counter() - started, request_id)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: Headers = scope[HEADERS]
        length = headers.get(b"content-length")
        if length is not None and length.isdigit():
            if int(length) > self.max_body:
                await send_error(scope, send, 413, "payload_too_large", self.too_large)
                return
        else:  # no length given (chunked): count what arrives
            receive = self._bounded(receive)
        if self.limiter is not None and await self.limiter.refused(scope, send, headers.get(b"authorization")):
            return
        if self.booking.wants(scope, headers):  # reads the body: Litestar gets it replayed if it must answer
            answer, receive = await self.booking.answer(scope, receive, headers)
        else:
            answer = await self.fast.answer(scope, headers)
        if answer is None:
            await self.app(scope, receive, send)
            return
        scope["route_handler"] = HANDLERS[answer[3]]
        answered_here(answer[3]).inc()
        await send({"type": "http.response.start", "status": answer[0], "headers": response_headers(answer)})
        await send({"type": "http.response.body", "body": answer[2]})

    def _bounded(self, receive: Receive) -> Receive:
        seen = 0

        async def bounded() -> MutableMapping[str, Any]:
            nonlocal seen
            event = await receive()
            if event["type"] == "http.request":
                seen += len(event.get("body", b""))
                if seen > self.max_body:
                    # Raised inside Litestar's body read: its handler answers 413 in the Error shape.
                    raise ClientException(detail=self.too_large, status_code=413)
            return event

        return bounded
