"""What translation and the controller share: processor access, endpoints, reservations, jobs."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from cachetools import LRUCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from openqcs.endpoints.service import get_endpoint
from openqcs.errors import InvalidArgument, NotFound, PermissionDenied, Unavailable
from openqcs.execution.models import ExecutionJob
from openqcs.identity.accounts import Account, may_act_for
from openqcs.identity.principal import Principal
from openqcs.reservations.service import active_reservation

# Decoded ISA documents by (database, version id): a version never changes once stored, and the
# database is part of the key because one process (a test run) may talk to several.
_ISAS: LRUCache[tuple[object, int], dict[str, Any]] = LRUCache(maxsize=32)
_ISAS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ProcessorIsa:
    """A processor's latest ISA for execution; ``key`` names it for the simulator's ``isa_key``
    (its device model is then built once per version)."""

    version_id: int
    isa: dict[str, Any]
    noiseless: bool
    key: tuple[object, int]


def database_of(session: Session) -> object:
    """Which database the session reads (a key part for what a process keeps of it)."""
    return session.get_bind().engine.url


def processor_isa(session: Session, processor_id: str, viewer: Principal | None) -> ProcessorIsa:
    """The latest ISA of a processor ``viewer`` may see (NotFound otherwise; Unavailable when offline).

    ``viewer=None`` skips the visibility check (workers run jobs already admitted).
    """
    from openqcs.processors.models import IsaVersion
    from openqcs.processors.service import get_processor, latest_isa, require_processor

    if not processor_id:
        raise InvalidArgument("quantum_processor_id is required (e.g. 'Aspen-M-3')")
    if viewer is None:
        processor = require_processor(session, processor_id)
    else:
        processor = get_processor(session, processor_id, viewer)
        if processor.status == "offline":
            # As a QPU taken down for maintenance: accessors say not live, and nothing runs.
            raise Unavailable(f"quantum processor '{processor_id}' is offline; try again when an operator "
                              f"brings it back online", retry_after=60)
    version_id = session.scalar(select(IsaVersion.id).where(IsaVersion.processor_id == processor.id)
                                .order_by(IsaVersion.version.desc()).limit(1))
    database = database_of(session)
    isa = _ISAS.get((database, version_id)) if version_id is not None else None
    if version_id is None or isa is None:
        version = latest_isa(session, processor.id)  # NotFound when there is none
        version_id, isa = version.id, msgspec.json.decode(version.document)
        with _ISAS_LOCK:
            _ISAS[(database, version_id)] = isa
    return ProcessorIsa(version_id, isa, bool(processor.noiseless), (database, version_id))


def isa_version(session: Session, processor_id: str) -> tuple[int, bool]:
    """The id of the processor's latest ISA version and its noiseless flag (workers run jobs by it)."""
    from openqcs.processors.models import IsaVersion, Processor

    row = session.execute(select(IsaVersion.id, Processor.noiseless)
                          .join(Processor, Processor.id == IsaVersion.processor_id)
                          .where(IsaVersion.processor_id == processor_id)
                          .order_by(IsaVersion.version.desc()).limit(1)).first()
    if row is None:
        raise NotFound(f"quantum processor '{processor_id}' has no instruction set architecture any more")
    return int(row[0]), bool(row[1])


def endpoint_processors(session: Session, endpoint_id: str, viewer: Principal, now: datetime) -> list[str]:
    """The processors an endpoint serves, as the endpoints domain shows it to ``viewer`` (NotFound otherwise)."""
    info = get_endpoint(session, endpoint_id, viewer, now)
    if not info.healthy:
        raise Unavailable(f"endpoint '{endpoint_id}' is starting; try again shortly", retry_after=2)
    return list(info.processor_ids)


def resolve_target(session: Session, viewer: Principal, job_processor: str, now: datetime, *,
                   processor_id: str = "", endpoint_id: str = "") -> str:
    """The processor a job runs on, checked against the call's target (processor or endpoint)."""
    if endpoint_id:
        served = endpoint_processors(session, endpoint_id, viewer, now)
        if job_processor not in served:
            raise InvalidArgument(f"the job was translated for '{job_processor}', but endpoint '{endpoint_id}' "
                                  f"serves {', '.join(served) or 'no processor'}")
    elif processor_id and processor_id != job_processor:
        raise InvalidArgument(f"the job was translated for '{job_processor}', not '{processor_id}'; "
                              f"translate the program for '{processor_id}' first")
    return job_processor


def reserved_refusal(session: Session, principal: Principal, processor_id: str, at: datetime) -> PermissionDenied:
    """The refusal for a caller whom another account's reservation keeps off the processor at
    ``at`` (``submission.paying_account`` found it), saying when it is free for them again."""
    free = at
    for _ in range(100):  # back-to-back reservations of other accounts
        covering = active_reservation(session, processor_id, free)
        if covering is None or may_act_for(principal, Account(covering.account_id, covering.account_type)):
            break
        free = covering.end_time
    return PermissionDenied(f"quantum processor '{processor_id}' is reserved by another account; it is free from "
                           f"{free.isoformat().replace('+00:00', 'Z')} (or book a reservation of your own)")


def get_job(session: Session, viewer: Principal, job_id: str, *, for_update: bool = False) -> ExecutionJob:
    """A job the caller submitted or may act for; NotFound for anyone else's."""
    if not job_id:
        raise InvalidArgument("job id is required")
    stmt = select(ExecutionJob).where(ExecutionJob.id == job_id)
    if for_update:
        stmt = stmt.with_for_update()
    job = session.scalar(stmt)
    if job is None or not (job.user_id == viewer.user_id
                           or may_act_for(viewer, Account(job.account_id, job.account_type))):
        raise NotFound(f"job '{job_id}' not found")
    return job
