"""Endpoints: who sees and manages them, their health, defaults per processor; engagements."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from openqcs.endpoints.models import Endpoint, EndpointProcessor, Engagement
from openqcs.errors import InvalidArgument, NotFound, PermissionDenied, Unavailable
from openqcs.identity.accounts import Account, require_account
from openqcs.identity.principal import OPERATOR, Principal
from openqcs.processors.service import all_processor_ids, get_processor, visible_ids_query
from openqcs.reservations.models import Reservation
from openqcs.reservations.service import active_reservation

# Real endpoints take a while to come up; ours are "provisioned" after this long.
PROVISIONING = timedelta(seconds=2)
ENGAGEMENT_TTL = timedelta(hours=1)
DATACENTERS = ("berkeley-775", "fremont-fab", "rigetti-gb-1")
DEFAULT_DATACENTER = DATACENTERS[0]


@dataclass(frozen=True)
class EndpointInfo:
    id: str
    processor_ids: list[str]
    healthy: bool
    mock: bool
    datacenter: str
    owner_id: int | None
    default_for: str | None
    server_public: str
    healthy_after: datetime


@dataclass(frozen=True)
class EngagementGrant:
    endpoint: EndpointInfo
    user_id: str
    account: Account
    client_public: str
    client_secret: str
    tags: list[str]
    minimum_priority: int
    expires_at: datetime


def _info(endpoint: Endpoint, processor_ids: list[str], now: datetime) -> EndpointInfo:
    return EndpointInfo(endpoint.id, processor_ids, now >= endpoint.healthy_after, endpoint.mock,
                        endpoint.datacenter, endpoint.owner_id, endpoint.default_for, endpoint.server_public,
                        endpoint.healthy_after)


def _with_processors(session: Session, endpoints: list[Endpoint], now: datetime) -> list[EndpointInfo]:
    ids = [e.id for e in endpoints]
    served: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        rows = session.execute(
            select(EndpointProcessor.endpoint_id, EndpointProcessor.processor_id)
            .where(EndpointProcessor.endpoint_id.in_(ids))
            .order_by(EndpointProcessor.endpoint_id, EndpointProcessor.position)
        )
        for endpoint_id, processor_id in rows:
            served[endpoint_id].append(processor_id)
    return [_info(e, served[e.id], now) for e in endpoints]


def _visible_query(viewer: Principal) -> Select[Endpoint]:
    """Live endpoints the viewer may see: their own, and openqcs's own on processors they can see."""
    stmt = select(Endpoint).where(Endpoint.deleted_time.is_(None))
    if viewer.is_admin:
        return stmt
    seen = visible_ids_query(viewer)
    shared = and_(
        Endpoint.owner_id.is_(None),
        exists().where(EndpointProcessor.endpoint_id == Endpoint.id, EndpointProcessor.processor_id.in_(seen)),
    )
    return stmt.where(or_(Endpoint.owner_id == viewer.user_id, shared))


def _visible(session: Session, endpoint_id: str, viewer: Principal) -> Endpoint:
    found = session.scalar(_visible_query(viewer).where(Endpoint.id == endpoint_id))
    if found is None:
        raise NotFound(f"endpoint '{endpoint_id}' not found")
    return found


def _manageable(session: Session, endpoint_id: str, principal: Principal) -> Endpoint:
    """The endpoint, if ``principal`` owns it (or is an admin); a visible one they don't own is 403."""
    endpoint = _visible(session, endpoint_id, principal)
    if not principal.is_admin and endpoint.owner_id != principal.user_id:
        raise PermissionDenied(f"endpoint '{endpoint_id}' is not yours to manage")
    return endpoint


def list_endpoints(session: Session, viewer: Principal, now: datetime) -> list[EndpointInfo]:
    """Every endpoint ``viewer`` may see, oldest first."""
    rows = list(session.scalars(_visible_query(viewer).order_by(Endpoint.created_time, Endpoint.id)))
    return _with_processors(session, rows, now)


def get_endpoint(session: Session, endpoint_id: str, viewer: Principal, now: datetime) -> EndpointInfo:
    """NotFound for unknown, deleted and other users' endpoints alike."""
    return _with_processors(session, [_visible(session, endpoint_id, viewer)], now)[0]


def _new_endpoint(session: Session, processor_ids: list[str], *, owner_id: int | None, default_for: str | None,
                  datacenter: str, mock: bool, now: datetime, healthy_after: datetime) -> Endpoint:
    public, secret = _curve_keypair()
    endpoint = Endpoint(id="ep-" + secrets.token_hex(8), owner_id=owner_id, default_for=default_for,
                        datacenter=datacenter, mock=mock, server_public=public.decode(),
                        server_secret=secret.decode(), healthy_after=healthy_after, created_time=now)
    session.add(endpoint)
    session.flush()
    for position, processor_id in enumerate(processor_ids):
        session.add(EndpointProcessor(endpoint_id=endpoint.id, processor_id=processor_id, position=position))
    session.flush()
    return endpoint


def create_endpoint(session: Session, owner: Principal | None, processor_ids: list[str], now: datetime, *,
                    datacenter: str | None = None, mock: bool = False) -> EndpointInfo:
    """A new endpoint serving ``processor_ids``, healthy after the provisioning delay.

    ``owner`` None (operators, from the CLI) makes an openqcs-owned endpoint. InvalidArgument
    without processors or with duplicates; NotFound for a processor the owner cannot see.
    """
    if not processor_ids:
        raise InvalidArgument.field("body", "quantumProcessorIds", "name at least one quantum processor")
    if len(set(processor_ids)) != len(processor_ids):
        raise InvalidArgument.field("body", "quantumProcessorIds", "quantum processor ids must not repeat")
    if datacenter is not None and datacenter not in DATACENTERS:
        raise InvalidArgument.field("body", "datacenters", f"datacenter must be one of {', '.join(DATACENTERS)}")
    for processor_id in processor_ids:
        get_processor(session, processor_id, owner or OPERATOR)
    endpoint = _new_endpoint(session, processor_ids, owner_id=owner.user_id if owner else None, default_for=None,
                             datacenter=datacenter or DEFAULT_DATACENTER, mock=mock, now=now,
                             healthy_after=now + PROVISIONING)
    return _info(endpoint, list(processor_ids), now)


def delete_endpoint(session: Session, endpoint_id: str, principal: Principal, now: datetime) -> None:
    """Permanent: the endpoint is gone for every operation after this (engagement records stay)."""
    endpoint = _manageable(session, endpoint_id, principal)
    endpoint.deleted_time = now
    # Frees the processor for a new default endpoint.
    endpoint.default_for = None


def restart_endpoint(session: Session, endpoint_id: str, principal: Principal, now: datetime,
                     component: str | None = None) -> None:
    """Unhealthy now, healthy again after the provisioning delay; a component restart does the same.

    PermissionDenied for any endpoint the caller cannot manage, existing or not (the spec
    lists no 404 for this operation).
    """
    try:
        endpoint = _manageable(session, endpoint_id, principal)
    except NotFound:
        raise PermissionDenied(f"endpoint '{endpoint_id}' does not exist or is not yours to manage") from None
    endpoint.healthy_after = now + PROVISIONING


def get_default_endpoint(session: Session, processor_id: str, viewer: Principal, now: datetime) -> EndpointInfo:
    """NotFound when the processor is invisible to ``viewer`` or has no default endpoint."""
    get_processor(session, processor_id, viewer)
    endpoint = session.scalar(
        select(Endpoint).where(Endpoint.default_for == processor_id, Endpoint.deleted_time.is_(None))
    )
    if endpoint is None:
        raise NotFound(f"quantum processor '{processor_id}' has no default endpoint")
    return _with_processors(session, [endpoint], now)[0]


def ensure_default_endpoint(session: Session, processor_id: str, *, now: datetime) -> str:
    """The id of ``processor_id``'s default endpoint, creating it (healthy at once) if it has none."""
    found = session.scalar(select(Endpoint.id).where(Endpoint.default_for == processor_id))
    if found is not None:
        return found
    get_processor(session, processor_id, OPERATOR)
    endpoint = _new_endpoint(session, [processor_id], owner_id=None, default_for=processor_id,
                             datacenter=DEFAULT_DATACENTER, mock=False, now=now, healthy_after=now)
    return endpoint.id


def ensure_default_endpoints(session: Session, now: datetime) -> list[str]:
    """Default endpoints for every processor lacking one; returns the processors given one."""
    covered = set(session.scalars(select(Endpoint.default_for).where(Endpoint.default_for.is_not(None))))
    missing = [processor_id for processor_id in all_processor_ids(session) if processor_id not in covered]
    for processor_id in missing:
        ensure_default_endpoint(session, processor_id, now=now)
    return missing



def _blocking_reservation(session: Session, processor_ids: list[str], account: Account,
                          now: datetime) -> Reservation | None:
    """Another account's reservation running now on one of these processors, if any."""
    for processor_id in processor_ids:
        held = active_reservation(session, processor_id, now)
        if held is not None and (held.account_type, held.account_id) != (account.type, account.id):
            return held
    return None


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def create_engagement(session: Session, principal: Principal, account: Account, now: datetime, *,
                      endpoint_id: str | None = None, processor_id: str | None = None,
                      tags: list[str] | None = None) -> EngagementGrant:
    """Grant ``principal`` (acting for ``account``) access to an endpoint, with fresh CURVE keys.

    The endpoint is ``endpoint_id``, else ``processor_id``'s default. InvalidArgument without
    either; NotFound for what the caller cannot see; PermissionDenied for an account they may not
    act for; Unavailable (with retry_after) while the endpoint is starting or while another
    account holds a reservation on one of its processors.
    """
    if not endpoint_id and not processor_id:
        raise InvalidArgument.field("body", "endpointId", "give endpointId or quantumProcessorId")
    require_account(session, principal, account)
    if endpoint_id:
        endpoint = get_endpoint(session, endpoint_id, principal, now)
    else:
        assert processor_id is not None  # one of the two, checked above
        endpoint = get_default_endpoint(session, processor_id, principal, now)
    held = _blocking_reservation(session, endpoint.processor_ids, account, now)
    if held is not None:
        raise Unavailable(f"another account holds a reservation on this processor until "
                          f"{held.end_time.isoformat()}", retry_after=_seconds_until(held.end_time, now))
    if not endpoint.healthy:
        raise Unavailable(f"endpoint '{endpoint.id}' is starting; retry shortly",
                          retry_after=_seconds_until(endpoint.healthy_after, now))
    public, secret = _curve_keypair()
    grant = EngagementGrant(endpoint, principal.idp_id, account, public.decode(), secret.decode(),
                            list(tags or []), 0, now + ENGAGEMENT_TTL)
    session.add(Engagement(endpoint_id=endpoint.id, user_id=principal.user_id, account_type=account.type,
                           account_id=account.id, client_public=grant.client_public, tags=grant.tags,
                           minimum_priority=grant.minimum_priority, created_time=now,
                           expires_time=grant.expires_at))
    return grant


def _curve_keypair() -> tuple[bytes, bytes]:
    import zmq  # ~50 ms to import: only when an endpoint or engagement is made, not at start-up

    return zmq.curve_keypair()
