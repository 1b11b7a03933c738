"""Wire shapes of the identity operations (the spec's field names)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from openqcs.identity.models import Group as GroupRow
from openqcs.identity.models import User as UserRow


class UserProfile(msgspec.Struct):
    email: str
    firstName: str
    lastName: str
    organization: str


class User(msgspec.Struct):
    id: int
    idpId: str
    createdTime: datetime
    profile: UserProfile


class Group(msgspec.Struct):
    id: str
    name: str
    description: str
    createdTime: datetime
    updatedTime: datetime
    lastMembershipUpdatedTime: datetime


class ListGroupUsersResponse(msgspec.Struct, omit_defaults=True):
    users: list[User]
    nextPageToken: str | None = None


class ListGroupsResponse(msgspec.Struct, omit_defaults=True):
    groups: list[Group]
    nextPageToken: str | None = None


class AuthResetPasswordRequest(msgspec.Struct):
    oldPassword: str
    newPassword: str


class AuthEmailPasswordResetTokenRequest(msgspec.Struct):
    email: str


class AuthResetPasswordWithTokenRequest(msgspec.Struct):
    token: str
    newPassword: str


class Password(msgspec.Struct):
    value: str


class UserCredentials(msgspec.Struct):
    password: Password


class ActivateUserRequest(msgspec.Struct):
    profile: UserProfile
    credentials: UserCredentials
    token: str


class GroupUserRequest(msgspec.Struct):
    """AddGroupUserRequest and RemoveGroupUserRequest: a group (id or name) and a user (id or email)."""

    groupId: str | None = None
    groupName: str | None = None
    userId: str | None = None
    userEmail: str | None = None


def user_out(row: UserRow) -> User:
    return User(id=row.id, idpId=row.idp_id, createdTime=row.created_time,
                profile=UserProfile(email=row.email, firstName=row.first_name, lastName=row.last_name,
                                    organization=row.organization))


def group_out(row: GroupRow) -> Group:
    return Group(id=str(row.id), name=row.name, description=row.description, createdTime=row.created_time,
                 updatedTime=row.updated_time or row.created_time,
                 lastMembershipUpdatedTime=row.membership_updated_time or row.created_time)
