"""Who is calling: the user behind a verified token, with their groups and role."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openqcs.config import Settings
from openqcs.db.clock import Clock
from openqcs.errors import Unauthenticated
from openqcs.identity.models import Group, Membership, User


@dataclass(frozen=True)
class Principal:
    user_id: int
    idp_id: str
    email: str
    groups: frozenset[str]
    is_admin: bool = False

    def in_group(self, name: str) -> bool:
        return name in self.groups


# The operator at the CLI or the admin API: an administrator's reach, without a user row.
OPERATOR = Principal(user_id=0, idp_id="openqcs-operator", email="operator@openqcs.local", groups=frozenset(),
                     is_admin=True)


def group_names(session: Session, user_id: int) -> frozenset[str]:
    rows = session.scalars(
        select(Group.name).join(Membership, Membership.group_id == Group.id).where(Membership.user_id == user_id)
    )
    return frozenset(rows)


def principal_for_user(session: Session, user: User, extra_groups: frozenset[str] = frozenset()) -> Principal:
    return Principal(user.id, user.idp_id, user.email, group_names(session, user.id) | extra_groups, user.is_admin)


def new_idp_id() -> str:
    return "u" + secrets.token_hex(9)


def principal_from_claims(session: Session, claims: dict[str, Any], settings: Settings, clock: Clock) -> Principal:
    """Resolve the token's user (``uid`` or ``sub``); an external issuer's users are created on first sight."""
    external = bool(settings.oidc_issuer)
    uid = claims.get(settings.oidc_user_claim if external else "uid")
    sub = claims.get("sub")
    user = None
    if isinstance(uid, str) and uid:
        user = session.scalar(select(User).where(User.idp_id == uid))
    if user is None and isinstance(sub, str) and sub and not external:
        user = session.scalar(select(User).where(User.email == sub))
    if user is None and external and isinstance(uid or sub, str):
        user = _provision(session, str(uid or sub), str(claims.get("email") or sub or uid), clock)
    if user is None:
        raise Unauthenticated("token does not name a known user")
    if user.disabled:
        raise Unauthenticated("this user is disabled")
    groups = claims.get(settings.oidc_groups_claim) if external else None
    extra = frozenset(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else frozenset()
    return principal_for_user(session, user, extra)


def _provision(session: Session, idp_id: str, email: str, clock: Clock) -> User:
    try:
        with session.begin_nested():
            user = User(idp_id=idp_id, email=email, created_time=clock.now(), activated=True)
            session.add(user)
        return user
    except IntegrityError:
        return session.execute(select(User).where(User.idp_id == idp_id)).scalar_one()
