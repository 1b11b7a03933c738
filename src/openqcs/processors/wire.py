"""Serving large, pre-serialized JSON documents: an in-process byte cache, ETags and gzip.

ISA bytes are built once at import and stored; each worker keeps the bytes (and their gzip
form, compressed once) by ETag, so a request costs one small query plus a dict lookup.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping

from litestar import Request, Response

JSON = "application/json; charset=utf-8"
# A strong ETag names one representation, so the gzip one gets its own tag.
GZIP_SUFFIX = "-gzip"


class DocumentCache:
    """LRU of ``etag -> (identity bytes, gzip bytes | None)``, bounded by total size."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, list] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def peek(self, etag: str) -> bytes | None:
        with self._lock:
            entry = self._items.get(etag)
            return entry[0] if entry is not None else None

    def get(self, etag: str, load: Callable[[], bytes]) -> bytes:
        with self._lock:
            entry = self._items.get(etag)
            if entry is not None:
                self._items.move_to_end(etag)
                return entry[0]
        body = load()
        with self._lock:
            if etag not in self._items:
                self._items[etag] = [body, None]
                self._size += len(body)
                self._evict()
        return body

    def gzipped(self, etag: str, body: bytes) -> bytes:
        with self._lock:
            entry = self._items.get(etag)
            if entry is not None and entry[1] is not None:
                return entry[1]
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        with self._lock:
            entry = self._items.get(etag)
            if entry is not None and entry[1] is None:
                entry[1] = packed
                self._size += len(packed)
                self._evict()
        return packed

    def _evict(self) -> None:
        while self._size > self.max_bytes and len(self._items) > 1:
            _, (body, packed) = self._items.popitem(last=False)
            self._size -= len(body) + (len(packed) if packed else 0)


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


def document_response(request: Request, cache: DocumentCache, etag: str, load: Callable[[], bytes]) -> Response:
    status, headers, body = document_answer(request.headers, cache, etag, load)
    if status == 304:
        return Response(body, status_code=304, headers=headers)
    return Response(body, status_code=status, headers=headers, media_type=JSON)


def bytes_response(request: Request, body: bytes, headers: dict[str, str] | None = None,
                   packed: Callable[[], bytes] | None = None, min_gzip: int = 1024) -> Response:
    """A JSON response from ready bytes, gzip-compressed when the client accepts it and it pays off."""
    headers = {"Vary": "Accept-Encoding", **(headers or {})}
    if len(body) >= min_gzip and accepts_gzip(request.headers):
        body = packed() if packed else gzip.compress(body, compresslevel=1, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=JSON, headers=headers)
