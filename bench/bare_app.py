"""The bare-framework baseline: Litestar on granian answering fixed bytes per path.

It returns exactly the bytes openqcs returned for the same request, so the difference between
the two is what openqcs's own work costs (auth, database, lists).
"""

from __future__ import annotations

import base64
import json
import os

from litestar import Litestar, Request, Response, route


def create() -> Litestar:
    table = json.loads(open(os.environ["BARE_RESPONSES"]).read())
    answers = {key: (value["status"], base64.b64decode(value["body"])) for key, value in table.items()}

    @route("/{path:path}", http_method=["GET", "POST"])
    async def answer(request: Request, path: str) -> Response:
        status, body = answers.get(f"{request.method} {request.url.path}", (404, b"{}"))
        return Response(body, status_code=status, media_type="application/json")

    return Litestar([answer])
