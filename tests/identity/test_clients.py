"""Acceptance: Rigetti's qcs-api-client 0.27 (from PyPI, its own venv), configured only by the files
`openqcs client-config` wrote, calls every identity operation; its first token is unusable, so it
must refresh through the HTTPS issuer (trusting the generated CA through SSL_CERT_FILE)."""

from __future__ import annotations

import json
import re
import secrets
import tomllib

import pytest

from openqcs.identity import service
from openqcs.identity.mail import deliver_sync
from tests.identity.util import ca_file, claims_of, cli, https_client, make_password_user, password_login, token_in
from tests.support.clients import run_client

pytestmark = pytest.mark.clients

FIRST_RUN = """
import json, os
from qcs_api_client.client import build_sync_client
from qcs_api_client.api.authentication import (auth_get_user, auth_reset_password,
                                               auth_email_password_reset_token)
from qcs_api_client.api.account import (list_user_groups, list_group_users, add_group_user, remove_group_user,
                                        activate_user)
from qcs_api_client.models import (AddGroupUserRequest, RemoveGroupUserRequest, AuthResetPasswordRequest,
                                   AuthEmailPasswordResetTokenRequest, ActivateUserRequest, UserProfile,
                                   UserCredentials, UserCredentialsPassword)
a = json.loads(os.environ["ARGS"])
out = {}
with build_sync_client() as client:
    me = auth_get_user.sync(client=client)
    out["AuthGetUser"] = [me.status_code, me.parsed.idp_id, me.parsed.profile.email]
    r = list_user_groups.sync(me.parsed.idp_id, client=client)
    out["ListUserGroups"] = [r.status_code, [g.name for g in r.parsed.groups]]
    r = add_group_user.sync(client=client, body=AddGroupUserRequest(group_name=a["group"], user_email=a["other"]))
    out["AddGroupUser"] = [r.status_code]
    r = list_group_users.sync(a["group"], client=client)
    out["ListGroupUsers"] = [r.status_code, sorted(u.profile.email for u in r.parsed.users)]
    r = remove_group_user.sync(client=client, body=RemoveGroupUserRequest(group_name=a["group"],
                                                                          user_email=a["other"]))
    out["RemoveGroupUser"] = [r.status_code]
    r = auth_reset_password.sync(client=client, body=AuthResetPasswordRequest(old_password=a["password"],
                                                                              new_password=a["password2"]))
    out["AuthResetPassword"] = [r.status_code]
    r = auth_email_password_reset_token.sync(client=client, body=AuthEmailPasswordResetTokenRequest(email=a["me"]))
    out["AuthEmailPasswordResetToken"] = [r.status_code]
    body = ActivateUserRequest(
        token=a["activation"],
        profile=UserProfile(email=a["invited"], first_name="Grace", last_name="Hopper", organization="Navy"),
        credentials=UserCredentials(password=UserCredentialsPassword(value=a["invited_password"])))
    r = activate_user.sync(client=client, body=body)
    out["ActivateUser"] = [r.status_code]
print(json.dumps(out))
"""

SECOND_RUN = """
import json, os
from qcs_api_client.client import build_sync_client
from qcs_api_client.api.authentication import auth_reset_password_with_token
from qcs_api_client.models import AuthResetPasswordWithTokenRequest
a = json.loads(os.environ["ARGS"])
with build_sync_client() as client:
    r = auth_reset_password_with_token.sync(client=client, body=AuthResetPasswordWithTokenRequest(
        token=a["reset"], new_password=a["password3"]))
print(json.dumps({"AuthResetPasswordWithToken": [r.status_code]}))
"""


def test_qcs_api_client_calls_every_identity_operation(idserver, smtp, tmp_path):
    tag = secrets.token_hex(3)
    me, other, invited, group = (f"me-{tag}@example.test", f"other-{tag}@example.test",
                                 f"invited-{tag}@example.test", f"acc-{tag}")
    make_password_user(idserver, me, "my-password-1", groups=(group,))
    make_password_user(idserver, other, "other-password-1")
    ctx = idserver.ctx
    with ctx.db.session(write=True) as session:
        user = service.create_user(session, ctx.clock, invited)
        session.flush()
        mail = service.invite(session, ctx.clock, ctx.settings, user)
    deliver_sync(ctx, mail)
    activation = token_in(smtp.wait_for(invited, "Activate"), "Activation token")

    assert cli(idserver, "client-config", "--user", me, "--dir", str(tmp_path)).returncode == 0
    secrets_path = tmp_path / "secrets.toml"
    first_refresh = tomllib.loads(secrets_path.read_text())["credentials"]["openqcs"]["token_payload"]["refresh_token"]
    # An access token that is not a JWT makes the client refresh before its first authorized call.
    secrets_path.write_text(re.sub(r'access_token = "[^"]*"', 'access_token = "not-a-jwt"', secrets_path.read_text()))
    https_client(idserver).close()  # the HTTPS issuer is up
    env = {"QCS_SETTINGS_FILE_PATH": str(tmp_path / "settings.toml"), "QCS_SECRETS_FILE_PATH": str(secrets_path),
           "QCS_PROFILE_NAME": "openqcs", "SSL_CERT_FILE": ca_file(idserver)}
    args = {"me": me, "other": other, "group": group, "password": "my-password-1", "password2": "my-password-2",
            "invited": invited, "invited_password": "invited-password-1", "activation": activation}

    out = run_client("api", FIRST_RUN, {**env, "ARGS": json.dumps(args)})
    assert out["AuthGetUser"][0] == 200 and out["AuthGetUser"][2] == me
    assert out["ListUserGroups"] == [200, [group]]
    assert out["AddGroupUser"] == [204]
    assert out["ListGroupUsers"] == [200, sorted([me, other])]
    assert out["RemoveGroupUser"] == [204]
    assert out["AuthResetPassword"] == [204]
    assert out["AuthEmailPasswordResetToken"] == [204]
    assert out["ActivateUser"] == [204]

    # The client refreshed through the HTTPS issuer and wrote both new tokens back.
    payload = tomllib.loads(secrets_path.read_text())["credentials"]["openqcs"]["token_payload"]
    assert idserver.settings.issuer.startswith("https://")
    assert claims_of(payload["access_token"])["iss"] == idserver.settings.issuer
    assert payload["refresh_token"] != first_refresh

    reset = token_in(smtp.wait_for(me, "Reset"), "Reset token")
    out = run_client("api", SECOND_RUN, {**env, "ARGS": json.dumps({"reset": reset, "password3": "my-password-3"})})
    assert out == {"AuthResetPasswordWithToken": [204]}
    assert password_login(idserver, me, "my-password-3").status_code == 200
    assert password_login(idserver, me, "my-password-2").status_code == 400
    assert password_login(idserver, invited, "invited-password-1").status_code == 200
