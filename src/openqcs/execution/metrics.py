"""Prometheus series of the execution side, and the one log line per job transition.

The services process and ``openqcs worker`` write them; ``/metrics`` of the HTTP workers reads
them through prometheus multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``openqcs serve``).
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram

log = logging.getLogger("openqcs.execution.jobs")

_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

GRPC_CALLS = Counter("openqcs_grpc_requests", "gRPC calls", ["method", "code"])
GRPC_LATENCY = Histogram("openqcs_grpc_request_duration_seconds", "gRPC call latency", ["method"], buckets=_SECONDS)
JOBS = Counter("openqcs_jobs", "Job transitions", ["status"])
JOB_SECONDS = Histogram("openqcs_job_duration_seconds", "Jobs from claim to stored result", buckets=_SECONDS)
JOB_WAIT = Histogram("openqcs_job_queue_wait_seconds", "Jobs from submission to claim", buckets=_SECONDS)
SIMULATOR_SECONDS = Counter("openqcs_simulator_seconds", "Wall time spent simulating")
QUEUE_DEPTH = Gauge("openqcs_job_queue_depth", "Jobs waiting for a worker", multiprocess_mode="mostrecent")


def transition(job_id: str, status: str, **fields: object) -> None:
    """One structured log line and one counter step per job state change."""
    JOBS.labels(status).inc()
    log.info("job %s", status, extra={"job": job_id, "status": status, **fields})
