"""rpcq's messages (forest-wire.md §2.2-2.3): msgpack maps tagged by ``_type``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import msgspec

MAX_REQUEST_BYTES = 64 * 1024 * 1024
MAX_TIMEOUT = 3600.0  # a longer client_timeout is cut to an hour


@dataclass(frozen=True, slots=True)
class Request:
    id: str
    method: str
    params: dict[str, Any]
    timeout: float | None  # client_timeout, seconds


class BadRequest(Exception):
    """A request we cannot serve; answered with an RPCError carrying ``id`` when we know it."""

    def __init__(self, message: str, request_id: str = "") -> None:
        super().__init__(message)
        self.message, self.request_id = message, request_id


def decode_request(payload: bytes) -> Request:
    if len(payload) > MAX_REQUEST_BYTES:
        raise BadRequest(f"the request is {len(payload)} bytes; the limit is {MAX_REQUEST_BYTES}")
    try:
        message = msgspec.msgpack.decode(payload)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"the request is not valid msgpack: {exc}") from None
    if not isinstance(message, dict):
        raise BadRequest("the request must be an rpcq RPCRequest map")
    request_id = message.get("id")
    request_id = request_id if isinstance(request_id, str) else ""
    if message.get("_type", "RPCRequest") != "RPCRequest":
        raise BadRequest(f"expected an RPCRequest, got {message.get('_type')!r}", request_id)
    method = message.get("method")
    if not isinstance(method, str) or not method:
        raise BadRequest("the request has no method name", request_id)
    params = message.get("params", {})
    if params is None:
        params = {}
    if isinstance(params, list):
        params = {"*args": params}
    if not isinstance(params, dict):
        raise BadRequest("params must be a map (or a list of positional arguments)", request_id)
    timeout = message.get("client_timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not math.isfinite(timeout) or timeout <= 0):
        timeout = None  # advisory: a nonsense value means no bound from the client
    return Request(request_id, method, params, None if timeout is None else min(float(timeout), MAX_TIMEOUT))


def encode_reply(request_id: str, result: Any) -> bytes:
    return msgspec.msgpack.encode({"_type": "RPCReply", "id": request_id, "jsonrpc": "2.0",
                                   "result": result, "warnings": []})


def encode_error(request_id: str, message: str) -> bytes:
    return msgspec.msgpack.encode({"_type": "RPCError", "id": request_id, "jsonrpc": "2.0",
                                   "error": message, "warnings": []})
