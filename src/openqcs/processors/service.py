"""Processor registry: visibility, ISA versions, accessors, grants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, func, or_, select, true
from sqlalchemy.orm import Session

from openqcs.config import Settings
from openqcs.errors import InvalidArgument, NotFound
from openqcs.identity.principal import Principal
from openqcs.processors.isa import PROCESSOR_ID, canonical_bytes, etag_of, validate_isa
from openqcs.processors.models import IsaVersion, Processor, ProcessorAccess


@dataclass(frozen=True)
class IsaRef:
    """Which stored ISA version answers for a processor; its bytes are fetched only when needed."""

    processor_id: str
    version_id: int
    etag: str


def _visible_to(viewer: Principal | None) -> ColumnElement[bool]:
    """WHERE clause on Processor: what ``viewer`` may see (anonymous: public ones only)."""
    if viewer is None:
        return Processor.public.is_(True)
    if viewer.is_admin:
        return true()
    grants = select(ProcessorAccess.processor_id).where(
        or_(
            (ProcessorAccess.account_type == "user") & (ProcessorAccess.account_id == viewer.idp_id),
            (ProcessorAccess.account_type == "group") & (ProcessorAccess.account_id.in_(sorted(viewer.groups))),
        )
    )
    return or_(Processor.public.is_(True), Processor.id.in_(grants))


def visible_processors_query(viewer: Principal | None) -> Select[Processor]:
    """SELECT of the processors ``viewer`` may see (anonymous: public ones only)."""
    return select(Processor).where(_visible_to(viewer))


def visible_ids_query(viewer: Principal | None) -> Select[str]:
    """SELECT of the ids of the processors ``viewer`` may see (for ``IN`` in other domains' queries)."""
    return visible_processors_query(viewer).with_only_columns(Processor.id)


def get_processor(session: Session, processor_id: str, viewer: Principal | None) -> Processor:
    """The processor, if ``viewer`` may see it; restricted ones are NotFound to outsiders."""
    found = session.scalar(visible_processors_query(viewer).where(Processor.id == processor_id))
    if found is None:
        raise NotFound(f"quantum processor '{processor_id}' not found")
    return found


def require_processor(session: Session, processor_id: str) -> Processor:
    """The processor whoever asks (operators, workers, admin commands); NotFound when there is none."""
    processor = session.get(Processor, processor_id)
    if processor is None:
        raise NotFound(f"quantum processor '{processor_id}' not found")
    return processor


def latest_isa(session: Session, processor_id: str) -> IsaVersion:
    found = session.scalar(
        select(IsaVersion).where(IsaVersion.processor_id == processor_id).order_by(IsaVersion.version.desc()).limit(1)
    )
    if found is None:
        raise NotFound(f"quantum processor '{processor_id}' has no instruction set architecture yet")
    return found


def list_processor_ids(session: Session, viewer: Principal | None) -> list[str]:
    """Ids of the processors ``viewer`` may see, in id order (the stable order pages are cut from)."""
    return list(session.scalars(visible_ids_query(viewer).order_by(Processor.id)))


def all_processor_ids(session: Session) -> list[str]:
    """Every processor's id, in id order (for operators and seeds)."""
    return list(session.scalars(select(Processor.id).order_by(Processor.id)))


def _latest_versions() -> Subquery:
    return (select(IsaVersion.processor_id, func.max(IsaVersion.version).label("version"))
            .group_by(IsaVersion.processor_id).subquery())


def served_isa(session: Session, processor_id: str, viewer: Principal | None) -> IsaRef:
    """The latest ISA version of a processor ``viewer`` may see (NotFound otherwise), without its bytes.

    One indexed query on the hot path; the misses find out which NotFound to give.
    """
    row = session.execute(
        select(IsaVersion.id, IsaVersion.etag).join(Processor, Processor.id == IsaVersion.processor_id)
        .where(IsaVersion.processor_id == processor_id, _visible_to(viewer))
        .order_by(IsaVersion.version.desc()).limit(1)
    ).first()
    if row is None:
        get_processor(session, processor_id, viewer)
        raise NotFound(f"quantum processor '{processor_id}' has no instruction set architecture yet")
    return IsaRef(processor_id, row.id, row.etag)


def served_isas(session: Session, viewer: Principal | None) -> list[IsaRef]:
    """The latest ISA of every processor ``viewer`` may see that has one, in processor id order."""
    latest = _latest_versions()
    visible = visible_processors_query(viewer).subquery()
    rows = session.execute(
        select(IsaVersion.processor_id, IsaVersion.id, IsaVersion.etag)
        .join(latest, (latest.c.processor_id == IsaVersion.processor_id) & (latest.c.version == IsaVersion.version))
        .join(visible, visible.c.id == IsaVersion.processor_id)
        .order_by(IsaVersion.processor_id)
    )
    return [IsaRef(r.processor_id, r.id, r.etag) for r in rows]


def isa_documents(session: Session, version_ids: list[int]) -> dict[int, bytes]:
    rows = session.execute(select(IsaVersion.id, IsaVersion.document).where(IsaVersion.id.in_(version_ids)))
    return {r.id: bytes(r.document) for r in rows}


def accessors(session: Session, processor_id: str, viewer: Principal | None,
              settings: Settings) -> list[dict[str, Any]]:
    """Every processor is served by openqcs's simulator, so one live gateway: our controller."""
    processor = get_processor(session, processor_id, viewer)
    live = processor.status != "offline"
    return [{"accessType": "gateway.v1", "live": live, "url": settings.controller_url, "rank": 1}]


def check_processor_id(processor_id: str) -> str:
    if not PROCESSOR_ID.match(processor_id or ""):
        raise InvalidArgument.field("body", "id", f"processor id '{processor_id}' must be 1-100 letters, digits, "
                                                  "'.', '_' or '-', starting with a letter or digit")
    return processor_id


def import_isa(session: Session, doc: Any, *, now: datetime, processor_id: str | None = None,
               public: bool | None = None, noiseless: bool | None = None) -> IsaVersion:
    """Validate ``doc`` and store it as the processor's newest ISA version (creating the processor).

    The processor id is ``processor_id`` or the document's ``name``; the stored document is named
    after the processor. Raises InvalidArgument saying exactly what is wrong with the document.
    """
    validate_isa(doc)
    processor_id = check_processor_id(processor_id or doc["name"])
    doc = {**doc, "name": processor_id}
    family = doc["architecture"]["family"]
    processor = session.get(Processor, processor_id)
    if processor is None:
        processor = Processor(id=processor_id, family=family, created_time=now,
                              public=True if public is None else public,
                              noiseless=False if noiseless is None else noiseless)
        session.add(processor)
        session.flush()
    else:
        processor.family = family
        if public is not None:
            processor.public = public
        if noiseless is not None:
            processor.noiseless = noiseless
    current = session.scalar(select(func.max(IsaVersion.version)).where(IsaVersion.processor_id == processor_id))
    document = canonical_bytes(doc)
    version = IsaVersion(processor_id=processor_id, version=(current or 0) + 1, document=document,
                         etag=etag_of(document), created_time=now)
    session.add(version)
    session.flush()
    return version


def processor_summaries(session: Session) -> list[dict[str, Any]]:
    """Every processor with its flags, latest ISA version and grants (for administrators)."""
    latest = _latest_versions()
    rows = session.execute(
        select(Processor, latest.c.version).outerjoin(latest, latest.c.processor_id == Processor.id)
        .order_by(Processor.id)
    )
    grants: dict[str, list[str]] = {}
    for access in session.scalars(select(ProcessorAccess).order_by(ProcessorAccess.id)):
        grants.setdefault(access.processor_id, []).append(f"{access.account_type}:{access.account_id}")
    return [{"id": p.id, "family": p.family, "public": p.public, "noiseless": p.noiseless, "status": p.status,
             "isaVersion": version, "grants": grants.get(p.id, [])} for p, version in rows]


def grant(session: Session, processor_id: str, *, account_type: str, account_id: str) -> bool:
    """Let a user (idpId) or group (name) see a restricted processor; False if already granted."""
    if account_type not in ("user", "group") or not account_id:
        raise InvalidArgument(f"grant a 'user' or a 'group', not {account_type!r}")
    require_processor(session, processor_id)
    found = session.scalar(select(ProcessorAccess).filter_by(processor_id=processor_id, account_type=account_type,
                                                             account_id=account_id))
    if found is not None:
        return False
    session.add(ProcessorAccess(processor_id=processor_id, account_type=account_type, account_id=account_id))
    session.flush()
    return True


def revoke(session: Session, processor_id: str, *, account_type: str, account_id: str) -> bool:
    require_processor(session, processor_id)
    found = session.scalar(select(ProcessorAccess).filter_by(processor_id=processor_id, account_type=account_type,
                                                             account_id=account_id))
    if found is None:
        return False
    session.delete(found)
    return True


def set_flags(session: Session, processor_id: str, *, public: bool | None = None,
              noiseless: bool | None = None) -> Processor:
    processor = require_processor(session, processor_id)
    if public is not None:
        processor.public = public
    if noiseless is not None:
        processor.noiseless = noiseless
    return processor


STATUSES = ("online", "offline", "degraded")


def set_status(session: Session, processor_id: str, status: str) -> Processor:
    """Mark a processor online, offline (accessors not live) or degraded."""
    if status not in STATUSES:
        raise InvalidArgument.field("body", "status", f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    processor = require_processor(session, processor_id)
    processor.status = status
    return processor


def delete_processor(session: Session, processor_id: str) -> None:
    """Remove a processor with its ISAs and grants (and, by cascade, what refers to it)."""
    session.delete(require_processor(session, processor_id))
