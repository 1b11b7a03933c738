"""The baselines: fixed bytes per request line, from bare Litestar and from raw ASGI, on granian.

Both return exactly the bytes openqcs returned for the same request, so the difference is what
openqcs's own work costs (auth, database, lists); raw ASGI shows granian's own floor.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from litestar import Litestar, Request, Response, route

Answers = dict[str, tuple[int, bytes]]


def _answers() -> Answers:
    with open(os.environ["BARE_RESPONSES"]) as fh:
        table = json.load(fh)
    return {key: (value["status"], base64.b64decode(value["body"])) for key, value in table.items()}


def create() -> Litestar:
    answers = _answers()

    def reply(request: Request) -> Response:
        status, body = answers.get(f"{request.method} {request.url.path}", (404, b"{}"))
        return Response(body, status_code=status, media_type="application/json")

    # "/{path:path}" does not match "/" itself, so the health check has its own route.
    @route("/", http_method=["GET", "POST"])
    async def root(request: Request) -> Response:
        return reply(request)

    @route("/{path:path}", http_method=["GET", "POST"])
    async def answer(request: Request, path: str) -> Response:
        return reply(request)

    return Litestar([root, answer], debug=False, logging_config=None)


def raw() -> Any:
    """The same answers from a plain ASGI callable: no framework at all."""
    answers = _answers()
    headers = [(b"content-type", b"application/json")]

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "POST":
            more = True
            while more:
                more = (await receive()).get("more_body", False)
        status, body = answers.get(f"{scope['method']} {scope['path']}", (404, b"{}"))
        await send({"type": "http.response.start", "status": status,
                    "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app
