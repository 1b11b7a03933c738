"""Every failure leaves the server in the spec's ``Error`` shape.

``{code, message, requestId, validationErrors?}``: domain errors, Litestar's own
(unknown route, wrong method, bad body or query) and anything unexpected.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import OperationalError

from openqcs.errors import FieldProblem, InvalidArgument, OpenQCSError, _RetryLater

if TYPE_CHECKING:  # core.faults imports this module
    from openqcs.core.faults import Scope, Send

log = logging.getLogger("openqcs.http")

JSON = "application/json; charset=utf-8"


class ValidationErrorBody(msgspec.Struct, omit_defaults=True):
    in_: str = msgspec.field(name="in")
    message: str = ""
    path: list[str] | None = None


class ErrorBody(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    requestId: str
    validationErrors: list[ValidationErrorBody] | None = None
    # The spec documents several 422 responses as a bare ValidationError; repeating the first
    # problem's ``in``/``path`` at the top level makes one body satisfy both schemas.
    in_: str | None = msgspec.field(default=None, name="in")
    path: list[str] | None = None


async def send_error(scope: Scope, send: Send, status: int, code: str, message: str,
                     headers: dict[str, str] | None = None) -> None:
    """Answer from plain ASGI middleware (before Litestar) in the same Error shape."""
    body = msgspec.json.encode(
        ErrorBody(code=code, message=message, requestId=scope.get("state", {}).get("request_id", ""))
    )
    raw = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def request_id_of(request: Request[Any, Any, Any]) -> str:
    found: str = request.scope.get("state", {}).get("request_id", "")
    return found


def error_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    message: str,
    problems: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    body = ErrorBody(code=code, message=message, requestId=request_id_of(request))
    if problems:
        body.validationErrors = [
            ValidationErrorBody(in_=p.location, message=p.message, path=list(p.path) or None) for p in problems
        ]
        body.in_ = problems[0].location
        body.path = list(problems[0].path) or None
    return Response(msgspec.json.encode(body), status_code=status, media_type=JSON, headers=headers)


def domain_error(request: Request[Any, Any, Any], exc: OpenQCSError) -> Response[bytes]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, _RetryLater) else None
    problems = exc.problems if isinstance(exc, InvalidArgument) else None
    return error_response(request, exc.status, exc.code, exc.message, problems, headers)


_AT_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING_FIELD = re.compile(r"missing required field `(?P<field>[^`]+)`")
_SOURCES = {"body": "body", "query": "query", "path": "path", "header": "header", "cookie": "header"}


def _problem_from_extra(item: dict[str, Any]) -> FieldProblem:
    message = str(item.get("message", "invalid value"))
    source = _SOURCES.get(str(item.get("source", "body")), "body")
    path: list[str] = []
    match = _AT_PATH.search(message)
    if match:
        message = message[: match.start()]
        path = [p for p in re.split(r"[.\[\]]+", match.group("path")) if p]
    elif item.get("key") and item.get("key") != "data":
        path = [p for p in re.split(r"[.\[\]]+", str(item["key"])) if p]
    elif item.get("key") == "data" and message == "'data'":
        # Litestar's KeyError text when a required body is absent.
        message = "a JSON request body is required"
    missing = _MISSING_FIELD.search(message)
    if missing:
        path.append(missing.group("field"))
    return FieldProblem(source, message, tuple(path))


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if isinstance(exc, ValidationException) or status == 400:
        # Litestar reports malformed JSON, wrong types and missing parameters as 400;
        # the spec calls all of these validation failures (422).
        extra = exc.extra if isinstance(exc.extra, list) else []
        problems = [_problem_from_extra(e) for e in extra if isinstance(e, dict)]
        if not problems:
            detail = exc.detail
            if detail == "Input data was truncated":  # msgspec's words for an unterminated JSON body
                detail = "JSON is malformed: the body ends too early"
            location = "body" if "JSON" in detail or "body" in detail.lower() else "query"
            problems = [FieldProblem(location, detail)]
        message = "; ".join(f"{'.'.join(p.path) or p.location}: {p.message}" for p in problems)
        return error_response(request, 422, "validation_error", message, problems)
    codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             413: "payload_too_large", 415: "unsupported_media_type", 429: "too_many_requests"}
    message = exc.detail
    if status == 404 and message == "Not Found":
        message = f"no route for {request.method} {request.url.path}"
    elif status == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return error_response(request, status, codes.get(status, "error"), message, headers=exc.headers)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if isinstance(exc, OperationalError):
        # The database is down or locked: a client can retry, so say so.
        log.warning("database unavailable: %s", exc.orig, extra={"request_id": request_id_of(request)})
        return error_response(request, 503, "unavailable", "the database is unavailable; retry shortly",
                              headers={"Retry-After": "2"})
    log.exception("unhandled error", extra={"request_id": request_id_of(request)})
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "internal server error")


def too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[bytes]:
    problem = FieldProblem("body", "the request is nested too deeply")
    return error_response(request, 422, "validation_error", problem.message, [problem])


EXCEPTION_HANDLERS = {
    OpenQCSError: domain_error,
    RecursionError: too_deep,
    HTTPException: http_error,
    Exception: unexpected_error,
}
