"""Controller operations on jobs: submit, results, cancel, status."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec
from cachetools import LRUCache
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openqcs.errors import Conflict, InvalidArgument
from openqcs.execution import admission, notify, results
from openqcs.execution.jobs import job_key, open_job
from openqcs.execution.models import CANCELLED, FINISHED, QUEUED, RUNNING, SUCCEEDED, ExecutionJob
from openqcs.execution.service import ProcessorIsa, database_of, get_job, processor_isa, resolve_target
from openqcs.execution.submission import Checked
from openqcs.identity.principal import Principal

if TYPE_CHECKING:
    from openqcs.simulator.simulate import ProgramInfo

MAX_CONFIGURATIONS = 1000


@dataclass(frozen=True)
class Submission:
    data: bytes
    key_id: str
    nonce: bytes
    memory_maps: list[dict[str, list[float]]]
    processor_id: str = ""
    endpoint_id: str = ""


def check(session: Session, viewer: Principal, sub: Submission, now: datetime, *, time_limit: float = 0.0,
          generation: int | None = None) -> Checked:
    """Everything a submission can be refused for before its write transaction (``submission.py``
    then checks who pays and whether they can): a job not made by this server's translation, a
    target it was not translated for, a processor the caller may not see or that is offline, a
    program or memory the processor's ISA refuses, more configurations than allowed, and a job
    that cannot finish within ``time_limit`` seconds (InvalidArgument).

    Reads only, and on a warm server none: the job key, the ISA and the visibility are kept under
    ``generation`` (``processor_generation`` read before; None: not known).
    """
    from openqcs.simulator.simulate import check_program

    if not sub.data:
        raise InvalidArgument("the request has no encrypted job; send the job returned by translation")
    job = open_job(sub.data, sub.key_id, sub.nonce, job_key(session))
    processor_id = resolve_target(session, viewer, job.processor_id, now, processor_id=sub.processor_id,
                                  endpoint_id=sub.endpoint_id)
    target = visible_isa(session, processor_id, viewer, generation)
    maps = sub.memory_maps or [{}]
    if len(maps) > MAX_CONFIGURATIONS:
        raise InvalidArgument(f"at most {MAX_CONFIGURATIONS} execution configurations per request, not {len(maps)}")
    # Re-checked here: the processor's calibration may have changed since translation.
    info = check_program(job.program, target.isa, isa_key=target.key)
    for index, memory in enumerate(maps):
        check_memory(memory, info, index)
    cost = admission.estimate(job.program, target.isa, job.shots, target.noiseless)
    admission.check_time(cost, time_limit)
    return Checked(processor_id, sub.endpoint_id, job.program, job.shots,
                   msgspec.json.encode(job.readout).decode(), maps)


# (processor_generation, processor, who asks) -> its ISA: every Execute needs it, and it
# changes only with the processor (its ISA, status, grants) or the caller's groups.
_VISIBLE: LRUCache[tuple[object, int, str, bool, str, frozenset[str]], ProcessorIsa] = LRUCache(maxsize=1024)
_VISIBLE_LOCK = threading.Lock()


def visible_isa(session: Session, processor_id: str, viewer: Principal,
                generation: int | None) -> ProcessorIsa:
    """``service.processor_isa`` for ``viewer``, kept under ``generation`` when it is known."""
    if generation is None:
        return processor_isa(session, processor_id, viewer)
    key = (database_of(session), generation, processor_id, viewer.is_admin, viewer.idp_id, frozenset(viewer.groups))
    found = _VISIBLE.get(key)
    if found is None:
        found = processor_isa(session, processor_id, viewer)
        with _VISIBLE_LOCK:
            _VISIBLE[key] = found
    return found


def notify_queued() -> None:
    """Wake this process's workers; call after the jobs' transaction committed, or they may not see them."""
    notify.queued()


def check_memory(memory: dict[str, list[float]], info: ProgramInfo, index: int) -> None:
    """InvalidArgument unless every patched region is declared by the program and its values fit
    (the simulator's one memory check, so the worker never meets a value it refuses)."""
    from openqcs.simulator.simulate import check_memory as check_values

    try:
        check_values(info.regions, memory)
    except InvalidArgument as exc:
        raise InvalidArgument(f"execution configuration {index}: {exc}") from None


def finished_result(session: Session, viewer: Principal, job_id: str) -> bytes | None:
    """The serialized result once the job is finished, None while it is queued or running."""
    job = get_job(session, viewer, job_id)
    return job.result if job.status in FINISHED else None


def cancel(session: Session, viewer: Principal, job_ids: list[str], now: datetime) -> list[str]:
    """Cancel queued and running jobs (all or none); Conflict names the first that already ended.

    A running job's worker sees it cancelled and stops its simulation process. Returns the ids
    newly cancelled: call ``notify.finished`` with them after the commit.
    """
    if not job_ids:
        raise InvalidArgument("job_ids is empty; name the jobs to cancel")
    changed = []
    for job_id in job_ids:
        job = get_job(session, viewer, job_id, for_update=True)
        if job.status == CANCELLED:
            continue
        if job.status not in (QUEUED, RUNNING):
            raise Conflict(f"job '{job_id}' already {job.status}; only queued or running jobs can be cancelled")
        cancel_job(job, now, "cancelled by the user" + (" while it ran" if job.status == RUNNING else ""))
        changed.append(job_id)
    notify.publish_finished(session, changed)
    return changed


def cancel_job(job: ExecutionJob, now: datetime, message: str) -> None:
    job.status = CANCELLED
    job.status_message = message
    job.finished_time = now
    job.result = results.cancelled(message)
    job.lease_until = None


@dataclass(frozen=True)
class JobStatus:
    status: str
    min_delay_s: float
    max_delay_s: float


def status(session: Session, viewer: Principal, job_id: str) -> JobStatus:
    """The job's state and an estimate of how long until it finishes (from recent job durations)."""
    job = get_job(session, viewer, job_id)
    if job.status in FINISHED:
        return JobStatus(job.status, 0.0, 0.0)
    recent = list(session.scalars(select(ExecutionJob.duration_us).where(ExecutionJob.status == SUCCEEDED)
                                  .order_by(ExecutionJob.finished_time.desc()).limit(20)))
    typical = (sum(recent) / len(recent) / 1e6) if recent else 0.5
    ahead = 0
    if job.status == QUEUED:
        ahead = session.scalar(select(func.count()).select_from(ExecutionJob).where(
            ExecutionJob.status.in_((QUEUED, RUNNING)), ExecutionJob.created_time <= job.created_time,
            ExecutionJob.id != job.id)) or 0
    own = typical if job.status == QUEUED else typical / 2
    return JobStatus(job.status, ahead * typical / 2 + own / 2, (ahead + 1) * typical * 2 + 1)
