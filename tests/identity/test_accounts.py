"""AuthGetUser, AuthResetPassword, AddGroupUser, RemoveGroupUser, ListGroupUsers, ListUserGroups."""

from __future__ import annotations

import secrets

import pytest

from openqcs.errors import InvalidArgument
from openqcs.identity import service
from openqcs.identity.passwords import check_policy
from tests.identity.util import make_password_user, password_login
from tests.support.factories import make_user


def _group() -> str:
    return f"team-{secrets.token_hex(3)}"


def test_get_user_returns_the_callers_profile(idserver):
    user = make_user(idserver.ctx)
    with idserver.client(user.token) as api:
        response = api.get("/v1/auth:getUser")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.id and body["idpId"] == user.idp_id
    assert body["profile"] == {"email": user.email, "firstName": "Test", "lastName": "User", "organization": ""}


def test_list_user_groups_shows_own_groups_paginated(idserver):
    names = sorted(_group() for _ in range(3))
    user = make_user(idserver.ctx, groups=tuple(names))
    with idserver.client(user.token) as api:
        first = api.get(f"/v1/users/{user.idp_id}/groups", params={"pageSize": 2}).json()
        assert [g["name"] for g in first["groups"]] == names[:2]
        second = api.get(f"/v1/users/{user.idp_id}/groups",
                         params={"pageSize": 2, "pageToken": first["nextPageToken"]}).json()
        assert [g["name"] for g in second["groups"]] == names[2:] and "nextPageToken" not in second
        assert api.get(f"/v1/users/{user.idp_id}/groups", params={"pageSize": 0}).status_code == 422


def test_admin_may_list_anyones_groups(idserver):
    name = _group()
    user = make_user(idserver.ctx, groups=(name,))
    admin = make_user(idserver.ctx, admin=True)
    with idserver.client(admin.token) as api:
        assert [g["name"] for g in api.get(f"/v1/users/{user.idp_id}/groups").json()["groups"]] == [name]


def test_members_manage_their_group_and_see_the_change(idserver):
    name = _group()
    member = make_user(idserver.ctx, groups=(name,))
    newcomer = make_user(idserver.ctx)
    with idserver.client(member.token) as api:
        assert api.post("/v1/groups:addUser", json={"groupName": name, "userEmail": newcomer.email}).status_code == 204
        # Adding twice changes nothing.
        assert api.post("/v1/groups:addUser", json={"groupName": name, "userId": newcomer.idp_id}).status_code == 204
        users = api.get(f"/v1/groups/{name}/users").json()["users"]
        assert sorted(u["idpId"] for u in users) == sorted([member.idp_id, newcomer.idp_id])
    with idserver.client(newcomer.token) as api:
        groups = api.get(f"/v1/users/{newcomer.idp_id}/groups").json()["groups"]
        assert [g["name"] for g in groups] == [name]
        assert groups[0]["lastMembershipUpdatedTime"] >= groups[0]["createdTime"]
    with idserver.client(member.token) as api:
        assert api.post("/v1/groups:removeUser", json={"groupName": name, "userId": newcomer.idp_id}).status_code == 204
        again = api.post("/v1/groups:removeUser", json={"groupName": name, "userId": newcomer.idp_id})
        assert again.status_code == 404
    with idserver.client(newcomer.token) as api:
        assert api.get(f"/v1/users/{newcomer.idp_id}/groups").json()["groups"] == []
        assert api.get(f"/v1/groups/{name}/users").status_code == 403


def test_group_id_works_as_well_as_the_name(idserver):
    name = _group()
    member = make_user(idserver.ctx, groups=(name,))
    other = make_user(idserver.ctx)
    with idserver.client(member.token) as api:
        group_id = api.get(f"/v1/users/{member.idp_id}/groups").json()["groups"][0]["id"]
        assert api.post("/v1/groups:addUser", json={"groupId": group_id, "userId": other.idp_id}).status_code == 204
        assert len(api.get(f"/v1/groups/{name}/users").json()["users"]) == 2


@pytest.mark.parametrize("body,status", [
    ({"userEmail": "x@example.test"}, 422),
    ({"groupName": "GROUP"}, 422),
    ({"groupName": "GROUP", "userEmail": "nobody@example.test"}, 404),
    ({"groupName": "no-such-group", "userEmail": "nobody@example.test"}, 404),
    ({"groupName": 7, "userEmail": "x@example.test"}, 422),
])
def test_admin_membership_errors(idserver, body, status):
    name = _group()
    make_user(idserver.ctx, groups=(name,))
    admin = make_user(idserver.ctx, admin=True)
    body = {k: (name if v == "GROUP" else v) for k, v in body.items()}
    with idserver.client(admin.token) as api:
        response = api.post("/v1/groups:addUser", json=body)
    assert response.status_code == status, response.text
    assert response.json()["message"]


def test_list_group_users_of_unknown_group(idserver):
    admin = make_user(idserver.ctx, admin=True)
    user = make_user(idserver.ctx)
    with idserver.client(admin.token) as api:
        assert api.get("/v1/groups/no-such-group/users").status_code == 404
    with idserver.client(user.token) as api:  # non-members learn nothing about which groups exist
        assert api.get("/v1/groups/no-such-group/users").status_code == 403


def test_reset_password_checks_the_old_one_and_the_policy(idserver):
    email = f"pw-{secrets.token_hex(4)}@example.test"
    make_password_user(idserver, email, "first-password-1")
    token = password_login(idserver, email, "first-password-1").json()["access_token"]
    with idserver.client(token) as api:
        wrong = api.post("/v1/auth:resetPassword", json={"oldPassword": "nope-nope-nope", "newPassword": "second-pw-22"})
        assert wrong.status_code == 422 and "oldPassword" in wrong.json()["validationErrors"][0]["path"]
        weak = api.post("/v1/auth:resetPassword", json={"oldPassword": "first-password-1", "newPassword": "short"})
        assert weak.status_code == 422 and "at least 10 characters" in weak.json()["message"]
        assert api.post("/v1/auth:resetPassword", json={"oldPassword": "first-password-1"}).status_code == 422
        ok = api.post("/v1/auth:resetPassword", json={"oldPassword": "first-password-1", "newPassword": "second-pw-22"})
        assert ok.status_code == 204 and ok.content == b""
    assert password_login(idserver, email, "first-password-1").status_code == 400
    assert password_login(idserver, email, "second-pw-22").status_code == 200


@pytest.mark.parametrize("password,message", [
    ("short", "at least 10"), ("a" * 129, "at most 128"), (" padded-password ", "whitespace"),
    ("aaaaaaaaaaaa", "4 different"),
])
def test_password_policy_messages(password, message):
    with pytest.raises(InvalidArgument) as err:
        check_policy(password, email="someone@example.test")
    assert message in err.value.message and err.value.status == 422


def test_password_equal_to_email_is_refused(idserver):
    ctx = idserver.ctx
    with pytest.raises(InvalidArgument) as err, ctx.db.session(write=True) as session:
        service.create_user(session, ctx.clock, "longname123@example.test", password="longname123@example.test")
    assert "email" in str(err.value)
