"""Outermost ASGI layer: request ids, Prometheus metrics and one access-log line per request.

It wraps the whole app (not per route) so unknown routes and 405s get a request id too.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

log = logging.getLogger("openqcs.access")
REQUEST_ID_HEADER = b"x-request-id"
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._-]{8,128}$")

REQUESTS = Counter("openqcs_http_requests", "HTTP requests", ["operation", "method", "status"])
LATENCY = Histogram(
    "openqcs_http_request_duration_seconds", "HTTP request latency", ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def metrics_text() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


class ObserveMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(REQUEST_ID_HEADER, b"")
        request_id = given.decode() if _SAFE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            handler = scope.get("route_handler")
            operation = getattr(handler, "operation_id", None) or "unmatched"
            if not isinstance(operation, str):
                operation = "unmatched"
            REQUESTS.labels(operation, scope["method"], str(status)).inc()
            LATENCY.labels(operation).observe(elapsed)
            log.info(
                "%s %s %s", scope["method"], scope["path"], status,
                extra={"request_id": request_id, "operation": operation, "status": status,
                       "duration_ms": round(elapsed * 1000, 2)},
            )
