"""Signed, opaque tokens (page tokens): HMAC-SHA256 over a compact JSON payload."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import msgspec

from openqcs.errors import InvalidArgument


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, key: bytes, *, max_age: int = 24 * 3600) -> None:
        self._key = key
        self.max_age = max_age

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:16]

    def sign(self, payload: dict[str, Any]) -> str:
        body = msgspec.json.encode({**payload, "t": int(time.time())})
        return _b64(body) + "." + _b64(self._mac(body))

    def unsign(self, token: str, *, param: str = "pageToken") -> dict[str, Any]:
        bad = InvalidArgument.field("query", param, f"{param} is invalid or was not issued for this request")
        try:
            body_text, mac_text = token.split(".", 1)
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (ValueError, TypeError):
            raise bad from None
        if not hmac.compare_digest(mac, self._mac(body)):
            raise bad
        payload = msgspec.json.decode(body)
        if not isinstance(payload, dict) or time.time() - payload.get("t", 0) > self.max_age:
            raise InvalidArgument.field("query", param, f"{param} has expired; start again from the first page")
        return payload
