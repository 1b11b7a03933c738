"""Jobs whose client stopped waiting are stopped.

When the last results call waiting for a job ends without its result (the client's deadline
passed, it went away, or our own wait ran out) and no new call comes within GRACE_SECONDS,
the job is cancelled: an abandoned 26-qubit simulation must not hold a core for minutes.
A job nobody waited for yet (submit now, retrieve later) is left alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from sqlalchemy import select

from openqcs.context import AppContext
from openqcs.execution import metrics, notify
from openqcs.execution.models import QUEUED, RUNNING, ExecutionJob

# Longer than the retry_after our own results timeout asks clients to wait (5 s).
GRACE_SECONDS = 15.0
MESSAGE = ("stopped: its client stopped waiting for the results (the results call ended and none followed "
           f"within {GRACE_SECONDS:g} s); run it again and wait for it, e.g. with a longer execution timeout")

_lock = threading.Lock()
_waiting: Counter[str] = Counter()


def begin(job_id: str) -> None:
    with _lock:
        _waiting[job_id] += 1


def end(ctx: AppContext, job_id: str, *, answered: bool) -> None:
    """A results call ended; unless it got the result, check after the grace whether anyone still waits."""
    with _lock:
        _waiting[job_id] -= 1
        if _waiting[job_id] <= 0:
            del _waiting[job_id]
    if not answered:
        loop = asyncio.get_running_loop()
        loop.call_later(GRACE_SECONDS, _check, loop, ctx, job_id)


def _check(loop: asyncio.AbstractEventLoop, ctx: AppContext, job_id: str) -> None:
    with _lock:
        if _waiting[job_id] > 0:
            return
        _waiting.pop(job_id, None)
    loop.run_in_executor(None, stop, ctx, job_id)


def stop(ctx: AppContext, job_id: str) -> bool:
    """Cancel the job if it is still queued or running; its worker stops the simulation."""
    from openqcs.execution.controller import cancel_job

    try:
        with ctx.db.session(write=True) as session:
            job = session.scalar(select(ExecutionJob).where(ExecutionJob.id == job_id).with_for_update())
            if job is None or job.status not in (QUEUED, RUNNING):
                return False
            cancel_job(job, ctx.clock.now(), MESSAGE)
            notify.publish_finished(session, [job_id])
    except Exception:  # best effort: the time limit still stops it
        metrics.log.exception("abandoned job not stopped", extra={"job": job_id})
        return False
    notify.finished([job_id])
    metrics.transition(job_id, "cancelled", reason="client stopped waiting")
    return True
