"""Accounts (a user or a group) and who may act for them. Shared by billing, reservations,
endpoints and execution, so every domain answers the same way."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from openqcs.errors import InvalidArgument, NotFound, PermissionDenied
from openqcs.identity.models import Group, User
from openqcs.identity.principal import Principal

ACCOUNT_TYPES = ("user", "group")


@dataclass(frozen=True)
class Account:
    id: str  # a user's idpId or a group's name
    type: str  # "user" | "group"

    @classmethod
    def of_user(cls, principal: Principal) -> Account:
        return cls(principal.idp_id, "user")


def may_act_for(principal: Principal, account: Account) -> bool:
    if principal.is_admin:
        return True
    if account.type == "user":
        return account.id == principal.idp_id
    return principal.in_group(account.id)


def require_account(session: Session, principal: Principal, account: Account) -> None:
    """Raise PermissionDenied unless the caller is that user, a member of that group, or an admin;
    NotFound when an admin names an account that does not exist."""
    if not may_act_for(principal, account):
        raise PermissionDenied(f"you may not act for {account.type} account '{account.id}'")
    if principal.is_admin and not account_exists(session, account):
        raise NotFound(f"{account.type} '{account.id}' does not exist")


def named_account(session: Session, *, user_email: str | None, group_name: str | None) -> Account:
    """The account of the user with that email (in any case) or of the group with that name: exactly
    one of them (InvalidArgument otherwise); NotFound when there is no such user or group."""
    from openqcs.identity.service import require_user_by_email  # service imports this module's users

    if bool(user_email) == bool(group_name):
        raise InvalidArgument("name exactly one account: --user EMAIL or --group NAME")
    if user_email:
        return Account(require_user_by_email(session, user_email).idp_id, "user")
    assert group_name is not None
    account = Account(group_name, "group")
    if not account_exists(session, account):
        raise NotFound(f"no group named '{group_name}'")
    return account


def account_exists(session: Session, account: Account) -> bool:
    if account.type == "user":
        return session.scalar(select(User.id).where(User.idp_id == account.id)) is not None
    return session.scalar(select(Group.id).where(Group.name == account.id)) is not None
