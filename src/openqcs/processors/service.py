"""Processor registry: visibility, ISA versions."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openqcs.errors import NotFound
from openqcs.identity.principal import Principal
from openqcs.processors.models import IsaVersion, Processor, ProcessorAccess


def visible_processors_query(viewer: Principal | None):
    """SELECT of the processors ``viewer`` may see (anonymous: public ones only)."""
    stmt = select(Processor)
    if viewer is None:
        return stmt.where(Processor.public.is_(True))
    if viewer.is_admin:
        return stmt
    grants = select(ProcessorAccess.processor_id).where(
        or_(
            (ProcessorAccess.account_type == "user") & (ProcessorAccess.account_id == viewer.idp_id),
            (ProcessorAccess.account_type == "group") & (ProcessorAccess.account_id.in_(sorted(viewer.groups))),
        )
    )
    return stmt.where(or_(Processor.public.is_(True), Processor.id.in_(grants)))


def get_processor(session: Session, processor_id: str, viewer: Principal | None) -> Processor:
    """The processor, if ``viewer`` may see it; restricted ones are NotFound to outsiders."""
    found = session.scalar(visible_processors_query(viewer).where(Processor.id == processor_id))
    if found is None:
        raise NotFound(f"quantum processor '{processor_id}' not found")
    return found


def latest_isa(session: Session, processor_id: str) -> IsaVersion:
    found = session.scalar(
        select(IsaVersion).where(IsaVersion.processor_id == processor_id).order_by(IsaVersion.version.desc()).limit(1)
    )
    if found is None:
        raise NotFound(f"quantum processor '{processor_id}' has no instruction set architecture yet")
    return found
