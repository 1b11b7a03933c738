"""Serving large, pre-serialized JSON documents: an in-process byte cache, ETags and gzip.

ISA bytes are built once at import and stored; each worker keeps the bytes (and their gzip
form, compressed once) by ETag, so a request costs one small query plus a dict lookup.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Mapping
from typing import Any

from cachetools import LRUCache
from litestar import Request, Response

JSON = "application/json; charset=utf-8"
# A strong ETag names one representation, so the gzip one gets its own tag.
GZIP_SUFFIX = "-gzip"


class DocumentCache:
    """Document bytes by ETag, and their gzip form by the gzip ETag: an LRU bounded by total size."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._items: LRUCache[str, bytes] = LRUCache(max_bytes, getsizeof=len)
        self._lock = threading.Lock()

    def peek(self, etag: str) -> bytes | None:
        with self._lock:
            return self._items.get(etag)

    def get(self, etag: str, load: Callable[[], bytes]) -> bytes:
        return self._through(etag, load)

    def gzipped(self, etag: str, body: bytes) -> bytes:
        return self._through(etag + GZIP_SUFFIX, lambda: gzip.compress(body, compresslevel=6, mtime=0))

    def _through(self, key: str, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            found = self._items.get(key)
        if found is None:
            found = make()  # outside the lock: loading and compressing take a while
            with self._lock:
                if len(found) <= self._items.maxsize:  # cachetools refuses what is larger
                    self._items[key] = found
        return found


def accepts_gzip(headers: Mapping[str, str]) -> bool:
    for part in headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


def etag_matches(headers: Mapping[str, str], etag: str) -> bool:
    header = headers.get("if-none-match")
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        # Either representation's tag matches: both encode the same document.
        if candidate.strip('"').removesuffix(GZIP_SUFFIX) == etag:
            return True
    return False


def document_answer(headers: Mapping[str, str], cache: DocumentCache, etag: str,
                    load: Callable[[], bytes]) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for a stored document: the cached bytes (gzip if accepted) or
    304 when the client already has them. Shared by the route and the raw fast path."""
    packed = accepts_gzip(headers)
    out = {"vary": "Accept-Encoding", "etag": f'"{etag}{GZIP_SUFFIX if packed else ""}"',
           "cache-control": "no-cache"}
    if etag_matches(headers, etag):
        return 304, out, b""
    body = cache.get(etag, load)
    if packed:
        body = cache.gzipped(etag, body)
        out["content-encoding"] = "gzip"
    return 200, out, body


def document_response(request: Request[Any, Any, Any], cache: DocumentCache, etag: str,
                      load: Callable[[], bytes]) -> Response[bytes]:
    status, headers, body = document_answer(request.headers, cache, etag, load)
    if status == 304:
        return Response(body, status_code=304, headers=headers)
    return Response(body, status_code=status, headers=headers, media_type=JSON)


def bytes_response(request: Request[Any, Any, Any], body: bytes, headers: dict[str, str] | None = None,
                   packed: Callable[[], bytes] | None = None, min_gzip: int = 1024) -> Response[bytes]:
    """A JSON response from ready bytes, gzip-compressed when the client accepts it and it pays off."""
    headers = {"Vary": "Accept-Encoding", **(headers or {})}
    if len(body) >= min_gzip and accepts_gzip(request.headers):
        body = packed() if packed else gzip.compress(body, compresslevel=1, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=JSON, headers=headers)
