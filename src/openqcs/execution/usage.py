"""Billing finished jobs' usage, a few at a time, off the path of results.

A job's usage is billed after its result is pushed; done right there, each job's billing
transaction competes with the client's next Execute for the interpreter and SQLite's write
lock. The biller collects finished jobs and bills them together BATCH_SECONDS later, in one
transaction (a savepoint each, so one failing entry does not lose the others). Until a job's
entries land, admission counts it as not billed yet (``admission.outstanding_jobs``, for up
to ``admission.BILLING_GRACE_SECONDS``, far longer than a batch waits).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from openqcs.billing.service import record_usage
from openqcs.context import AppContext
from openqcs.execution import metrics
from openqcs.identity.accounts import Account

BATCH_SECONDS = 0.2


@dataclass(frozen=True)
class Usage:
    job_id: str
    account: Account
    processor_id: str
    duration_us: int
    at: datetime


def bill(ctx: AppContext, usages: list[Usage]) -> None:
    """Record each job's completion and time; a billing fault is logged, never raised (the job ran)."""
    if not usages:
        return
    try:
        with ctx.db.session(write=True) as session:
            for usage in usages:
                try:
                    with session.begin_nested():
                        for product, quantity in (("qpuJobCompletion", 1), ("qpuJobTime", usage.duration_us)):
                            record_usage(session, usage.account, product, quantity, reference=usage.job_id,
                                         at=usage.at, processor_id=usage.processor_id)
                except Exception:
                    metrics.log.exception("usage not recorded", extra={"job": usage.job_id})
    except Exception:
        metrics.log.exception("usage not recorded", extra={"jobs": [u.job_id for u in usages]})


class Biller:
    """Bills what ``add`` is given within BATCH_SECONDS, on a thread of its own; ``stop`` bills the rest."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._pending: list[Usage] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openqcs-usage", daemon=True)
        self._thread.start()

    def add(self, usage: Usage) -> None:
        with self._lock:
            self._pending.append(usage)
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            self._stopping.wait(BATCH_SECONDS)  # let a batch gather (at once when stopping)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        bill(self.ctx, batch)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(10)
        self.flush()
