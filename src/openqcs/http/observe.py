"""What each HTTP request leaves behind: Prometheus series and one access-log line
(recorded by ``http/gateway.py``, which every request passes)."""

from __future__ import annotations

import functools
import logging
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

log = logging.getLogger("openqcs.access")

REQUESTS = Counter("openqcs_http_requests", "HTTP requests", ["operation", "method", "status"])
LATENCY = Histogram(
    "openqcs_http_request_duration_seconds", "HTTP request latency", ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def metrics_text() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client
        return generate_latest(registry)
    return generate_latest()


@functools.lru_cache(maxsize=2048)
def _series(operation: str, method: str, status: int) -> tuple[Counter, Histogram]:
    # labels() takes a lock and checks its arguments on every call; the children never change.
    return REQUESTS.labels(operation, method, str(status)), LATENCY.labels(operation)


def record(operation: str, method: str, path: str, status: int, elapsed: float, request_id: str) -> None:
    count, latency = _series(operation, method, status)
    count.inc()
    latency.observe(elapsed)
    if log.isEnabledFor(logging.INFO):
        log.info("%s %s %s", method, path, status,
                 extra={"request_id": request_id, "operation": operation, "status": status,
                        "duration_ms": round(elapsed * 1000, 2)})
