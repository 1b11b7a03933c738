"""`openqcs admin user|group|token|mail` and `openqcs client-config`, run as a user would."""

from __future__ import annotations

import json
import secrets
import subprocess
import tomllib
from functools import cache

import jwt
import typer
from typer.testing import CliRunner

from openqcs.identity import cli as identity_cli
from tests.identity.util import claims_of, cli, password_login


@cache
def _identity_app() -> typer.Typer:
    # The same wiring as `openqcs.commands.build`, for identity's commands only.
    app, admin = typer.Typer(), typer.Typer()
    app.add_typer(admin, name="admin")
    for name, group in identity_cli.groups.items():
        admin.add_typer(group, name=name)
    for command in identity_cli.commands:
        app.command()(command)
    return app


def cli_fast(server, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The identity commands in-process (a subprocess per command costs seconds on a busy machine)."""
    settings_env = {k: v for k, v in server.env.items() if k.startswith("OPENQCS_")}
    result = CliRunner().invoke(_identity_app(), list(args), env={**settings_env, **env})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def test_admin_cli_manages_users_groups_tokens_and_mail(idserver):
    tag = secrets.token_hex(3)
    alice, bob, group = f"alice-{tag}@example.test", f"bob-{tag}@example.test", f"cli-{tag}"
    created = cli_fast(idserver, "admin", "user", "create", alice, "--password", "alice-password-1", "--first-name", "Alice")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["activated"] is True
    # Without a password the user is invited; with no SMTP server the mail lands in the outbox.
    invited = cli_fast(idserver, "admin", "user", "create", bob, OPENQCS_SMTP_HOST="")
    assert invited.returncode == 0 and json.loads(invited.stdout)["activated"] is False
    mails = cli_fast(idserver, "admin", "mail", "list").stdout
    assert f"to {bob}" in mails and "Activation token: " in mails
    duplicate = cli_fast(idserver, "admin", "user", "create", alice)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    listing = cli_fast(idserver, "admin", "user", "list").stdout
    assert alice in listing and f"{bob}\tnot-activated" in listing

    assert cli_fast(idserver, "admin", "group", "create", group).returncode == 0
    assert cli_fast(idserver, "admin", "group", "add-user", group, alice).returncode == 0
    issued = cli(idserver, "admin", "token", "issue", "--user", alice, "--ttl", "120")  # the real entry point
    tokens = json.loads(issued.stdout)
    assert tokens["refresh_token"] and tokens["expires_in"] <= 120
    assert claims_of(tokens["access_token"])["groups"] == [group]
    with idserver.client(tokens["access_token"]) as api:
        assert [u["profile"]["email"] for u in api.get(f"/v1/groups/{group}/users").json()["users"]] == [alice]
    assert cli_fast(idserver, "admin", "group", "remove-user", group, alice).returncode == 0
    with idserver.client(tokens["access_token"]) as api:
        assert api.get(f"/v1/groups/{group}/users").status_code == 403

    assert cli_fast(idserver, "admin", "user", "disable", alice).returncode == 0
    assert password_login(idserver, alice, "alice-password-1").status_code == 400
    with idserver.client(tokens["access_token"]) as api:
        assert api.get("/v1/auth:getUser").status_code == 401
    missing = cli_fast(idserver, "admin", "token", "issue", "--user", f"nobody-{tag}@example.test")
    assert missing.returncode == 1 and "no user" in missing.stderr


def test_rotated_keys_keep_old_tokens_valid(idserver):
    email = f"rot-{secrets.token_hex(3)}@example.test"
    assert cli_fast(idserver, "admin", "user", "create", email, "--password", "rotate-password-1").returncode == 0
    old = json.loads(cli_fast(idserver, "admin", "token", "issue", "--user", email).stdout)["access_token"]
    assert cli_fast(idserver, "admin", "token", "rotate-key").returncode == 0
    new = json.loads(cli_fast(idserver, "admin", "token", "issue", "--user", email).stdout)["access_token"]
    old_kid, new_kid = (jwt.get_unverified_header(t)["kid"] for t in (old, new))
    assert old_kid != new_kid
    with idserver.raw_client() as client:
        kids = {k["kid"] for k in client.get("/oauth2/default/v1/keys").json()["keys"]}
    assert {old_kid, new_kid} <= kids
    for token in (old, new):
        with idserver.client(token) as api:
            assert api.get("/v1/auth:getUser").status_code == 200


def test_client_config_keeps_other_profiles(idserver, tmp_path):
    email = f"cfg-{secrets.token_hex(3)}@example.test"
    assert cli_fast(idserver, "admin", "user", "create", email, "--password", "config-password-1").returncode == 0
    (tmp_path / "settings.toml").write_text(
        'default_profile_name = "rigetti"\n\n[profiles.rigetti]\napi_url = "https://api.qcs.rigetti.com"\n'
        'auth_server_name = "rigetti"\ncredentials_name = "rigetti"\n\n'
        '[profiles.openqcs.applications.pyquil]\nquilc_url = "tcp://127.0.0.1:6666"\n\n'
        '[auth_servers.rigetti]\nclient_id = "abc"\nissuer = "https://auth.qcs.rigetti.com/oauth2/aus8jcovzG0gW2TUG355"\n')
    (tmp_path / "secrets.toml").write_text('[credentials.rigetti.token_payload]\nrefresh_token = "keep-me"\n'
                                           'updated_at = 2024-01-02T03:04:05Z\n')
    done = cli_fast(idserver, "client-config", "--user", email, "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "SSL_CERT_FILE=" in done.stdout
    settings = tomllib.loads((tmp_path / "settings.toml").read_text())
    secrets_ = tomllib.loads((tmp_path / "secrets.toml").read_text())
    assert settings["default_profile_name"] == "openqcs"
    assert settings["profiles"]["rigetti"]["api_url"] == "https://api.qcs.rigetti.com"
    profile = settings["profiles"]["openqcs"]
    assert profile["api_url"] == idserver.base_url and profile["grpc_api_url"] == idserver.settings.grpc_url
    assert profile["applications"]["pyquil"]["quilc_url"] == "tcp://127.0.0.1:6666"
    assert settings["auth_servers"]["openqcs"] == {"client_id": "openqcs", "issuer": idserver.settings.issuer}
    assert secrets_["credentials"]["rigetti"]["token_payload"]["refresh_token"] == "keep-me"
    payload = secrets_["credentials"]["openqcs"]["token_payload"]
    with idserver.client(payload["access_token"]) as api:
        assert api.get("/v1/auth:getUser").json()["profile"]["email"] == email


def test_client_config_points_pyquil_at_the_forest_tools(idserver, tmp_path):
    email = f"forest-{secrets.token_hex(3)}@example.test"
    assert cli_fast(idserver, "admin", "user", "create", email, "--password", "config-password-1").returncode == 0
    done = cli_fast(idserver, "client-config", "--user", email, "--dir", str(tmp_path),
                    OPENQCS_QUILC_PORT="5599", OPENQCS_QVM_PORT="5099")
    assert done.returncode == 0, done.stderr
    pyquil = tomllib.loads((tmp_path / "settings.toml").read_text())["profiles"]["openqcs"]["applications"]["pyquil"]
    assert pyquil == {"quilc_url": "tcp://127.0.0.1:5599", "qvm_url": "http://127.0.0.1:5099"}
