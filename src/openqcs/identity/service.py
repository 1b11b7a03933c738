"""Users, groups and memberships, passwords, activation and password reset.

Authorization lives here (not in handlers) so the CLI and other domains get the same answers:
a user reads their own groups and the members of groups they belong to; members and admins
manage a group's members; admins do everything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openqcs.config import Settings
from openqcs.db.clock import Clock
from openqcs.errors import Conflict, InvalidArgument, NotFound, PermissionDenied
from openqcs.identity.mail import Mail
from openqcs.identity.models import Group, Membership, OneTimeToken, RefreshToken, User
from openqcs.identity.passwords import check_policy, digest, hash_password, new_secret, verify_password
from openqcs.identity.principal import Principal, new_idp_id

RESET_TTL = timedelta(hours=1)
RESET_RESEND_AFTER = timedelta(minutes=1)
ACTIVATION_TTL = timedelta(days=7)


# -- users ---------------------------------------------------------------------------

def get_user(session: Session, principal: Principal) -> User:
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("your user no longer exists")
    return user


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def require_user_by_email(session: Session, email: str) -> User:
    user = user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with email '{email}'")
    return user


def create_user(session: Session, clock: Clock, email: str, *, password: str | None = None, admin: bool = False,
                first_name: str = "", last_name: str = "", organization: str = "") -> User:
    """A user, active when given a password; without one it waits for activation (see ``invite``)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise InvalidArgument.field("body", "email", f"'{email}' is not an email address")
    if password is not None:
        check_policy(password, email=email, field="password")
    user = User(idp_id=new_idp_id(), email=email, created_time=clock.now(), is_admin=admin,
                password_hash=hash_password(password) if password is not None else None,
                first_name=first_name, last_name=last_name, organization=organization,
                activated=password is not None, disabled=False, onboarding_completed=False)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise Conflict(f"a user with email '{email}' already exists") from None
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def set_disabled(session: Session, clock: Clock, email: str, disabled: bool = True) -> User:
    """Disabled users cannot log in, refresh, or use tokens already issued."""
    user = require_user_by_email(session, email)
    user.disabled = disabled
    if disabled:
        revoke_refresh_tokens(session, clock, user.id)
    return user


def revoke_refresh_tokens(session: Session, clock: Clock, user_id: int) -> None:
    for token in session.scalars(select(RefreshToken).where(RefreshToken.user_id == user_id,
                                                            RefreshToken.revoked_time.is_(None))):
        token.revoked_time = clock.now()


# -- groups --------------------------------------------------------------------------

def create_group(session: Session, clock: Clock, name: str, description: str = "") -> Group:
    name = name.strip()
    if not name or len(name) > 200 or "/" in name:
        raise InvalidArgument.field("body", "name", "group name must be 1-200 characters without '/'")
    group = Group(name=name, description=description, created_time=clock.now())
    try:
        with session.begin_nested():
            session.add(group)
    except IntegrityError:
        raise Conflict(f"group '{name}' already exists") from None
    return group


def _group(session: Session, group_id: str | None, group_name: str | None) -> Group | None:
    if group_name:
        return session.scalar(select(Group).where(Group.name == group_name))
    if group_id and group_id.isdigit():
        return session.get(Group, int(group_id))
    return None


def _user(session: Session, user_id: str | None, email: str | None) -> User | None:
    if user_id:
        return session.scalar(select(User).where(User.idp_id == user_id))
    return user_by_email(session, email or "")


def _membership_target(session: Session, principal: Principal, group_id: str | None, group_name: str | None,
                       user_id: str | None, user_email: str | None) -> tuple[Group, User]:
    if not (group_id or group_name):
        raise InvalidArgument.field("body", "groupName", "give groupId or groupName")
    if not (user_id or user_email):
        raise InvalidArgument.field("body", "userId", "give userId or userEmail")
    group = _group(session, group_id, group_name)
    name = group.name if group is not None else group_name
    # Non-members learn nothing about which groups exist.
    if not principal.is_admin and not (name and principal.in_group(name)):
        raise PermissionDenied("only members of a group and administrators manage its members")
    if group is None:
        raise NotFound(f"group '{group_name or group_id}' does not exist")
    user = _user(session, user_id, user_email)
    if user is None:
        raise NotFound(f"user '{user_id or user_email}' does not exist")
    return group, user


def add_group_user(session: Session, clock: Clock, principal: Principal, *, group_id: str | None = None,
                   group_name: str | None = None, user_id: str | None = None, user_email: str | None = None) -> None:
    """Idempotent: adding a member twice leaves one membership."""
    group, user = _membership_target(session, principal, group_id, group_name, user_id, user_email)
    exists = session.get(Membership, (group.id, user.id))
    if exists is None:
        try:
            with session.begin_nested():
                session.add(Membership(group_id=group.id, user_id=user.id, created_time=clock.now()))
        except IntegrityError:
            return  # a concurrent add won
        group.membership_updated_time = clock.now()


def remove_group_user(session: Session, clock: Clock, principal: Principal, *, group_id: str | None = None,
                      group_name: str | None = None, user_id: str | None = None,
                      user_email: str | None = None) -> None:
    group, user = _membership_target(session, principal, group_id, group_name, user_id, user_email)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # DML returns a cursor
        delete(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id))
    removed = result.rowcount
    if not removed:
        raise NotFound(f"user '{user_id or user_email}' is not a member of group '{group.name}'")
    group.membership_updated_time = clock.now()


def list_group_users(session: Session, principal: Principal, group_name: str) -> list[User]:
    group = session.scalar(select(Group).where(Group.name == group_name))
    if not principal.is_admin and not principal.in_group(group_name):
        raise PermissionDenied(f"you are not a member of group '{group_name}'")
    if group is None:
        raise NotFound(f"group '{group_name}' does not exist")
    return list(session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                                .where(Membership.group_id == group.id).order_by(User.id)))


def list_user_groups(session: Session, principal: Principal, user_id: str) -> list[Group]:
    if not principal.is_admin and user_id != principal.idp_id:
        raise PermissionDenied("you may list only your own groups")
    return list(session.scalars(select(Group).join(Membership, Membership.group_id == Group.id)
                                .join(User, User.id == Membership.user_id)
                                .where(User.idp_id == user_id).order_by(Group.name)))


# -- passwords, activation, reset ----------------------------------------------------

def change_password(session: Session, principal: Principal, old_password: str, new_password: str) -> None:
    user = get_user(session, principal)
    if not verify_password(user.password_hash, old_password):
        raise InvalidArgument.field("body", "oldPassword", "oldPassword is not your current password")
    check_policy(new_password, email=user.email)
    user.password_hash = hash_password(new_password)


def _one_time_token(session: Session, clock: Clock, user: User, purpose: str, ttl: timedelta) -> str:
    secret = new_secret()
    now = clock.now()
    session.add(OneTimeToken(token_hash=digest(secret), purpose=purpose, user_id=user.id, created_time=now,
                             expires_time=now + ttl))
    return secret


def _redeem(session: Session, clock: Clock, secret: str, purpose: str) -> User:
    """Mark the token used (single use) and return its user; 404 when unknown, used or expired."""
    # Locked and re-read: two concurrent redemptions cannot both succeed.
    row = session.get(OneTimeToken, digest(secret or ""), with_for_update=True, populate_existing=True)
    now = clock.now()
    if row is None or row.purpose != purpose or row.used_time is not None or row.expires_time <= now:
        raise NotFound("this token is unknown, already used or expired")
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        raise NotFound("this token is unknown, already used or expired")
    row.used_time = now
    return user


def request_password_reset(session: Session, clock: Clock, settings: Settings, email: str) -> Mail | None:
    """A reset mail for an active user, else None (the caller answers the same either way)."""
    user = user_by_email(session, email)
    if user is None or user.disabled or not user.activated:
        return None
    recent = session.scalar(select(OneTimeToken.token_hash).where(
        OneTimeToken.user_id == user.id, OneTimeToken.purpose == "reset",
        OneTimeToken.created_time > clock.now() - RESET_RESEND_AFTER).limit(1))
    if recent is not None:
        return None  # one mail per minute: the endpoint is anonymous, so it must not flood a mailbox
    secret = _one_time_token(session, clock, user, "reset", RESET_TTL)
    minutes = int(RESET_TTL.total_seconds() // 60)
    body = (f"Someone asked to reset the password of {user.email} on {settings.api_url}.\n\n"
            f"Reset token: {secret}\n\nIt works once, within {minutes} minutes. "
            "If you did not ask for this, ignore this mail.\n")
    return Mail(user.email, "Reset your openqcs password", body)


def reset_password_with_token(session: Session, clock: Clock, secret: str, new_password: str) -> None:
    # Validate first, so a weak password does not burn the token.
    row = session.get(OneTimeToken, digest(secret or ""))
    owner = session.get(User, row.user_id) if row is not None else None
    check_policy(new_password, email=owner.email if owner else "")
    user = _redeem(session, clock, secret, "reset")
    user.password_hash = hash_password(new_password)
    revoke_refresh_tokens(session, clock, user.id)


def invite(session: Session, clock: Clock, settings: Settings, user: User) -> Mail:
    secret = _one_time_token(session, clock, user, "activate", ACTIVATION_TTL)
    body = (f"You have been invited to openqcs at {settings.api_url} as {user.email}.\n\n"
            f"Activation token: {secret}\n\nActivate with POST /v1/users:activate within "
            f"{ACTIVATION_TTL.days} days.\n")
    return Mail(user.email, "Activate your openqcs account", body)


def activate_user(session: Session, clock: Clock, secret: str, password: str, first_name: str, last_name: str,
                  organization: str) -> User:
    row = session.get(OneTimeToken, digest(secret or ""))
    owner = session.get(User, row.user_id) if row is not None else None
    check_policy(password, email=owner.email if owner else "", field="credentials")
    try:
        user = _redeem(session, clock, secret, "activate")
    except NotFound as exc:  # the spec lists only 422 for ActivateUser
        raise InvalidArgument.field("body", "token", exc.message) from None
    user.password_hash = hash_password(password)
    user.first_name, user.last_name, user.organization = first_name, last_name, organization
    user.activated = True
    return user
