"""Helpers shared by the identity tests."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import time
from contextlib import contextmanager

import httpx
import jwt
from sqlalchemy import select

from openqcs.db.migrate import upgrade
from openqcs.identity import issuer, service
from openqcs.identity.models import Group, Membership, User
from tests.support.server import OPENQCS, LiveServer

TOKEN_PATH = "/oauth2/default/v1/token"


def ca_file(server: LiveServer) -> str:
    return os.path.join(server.data_dir, "tls", "ca.pem")


def https_client(server: LiveServer, timeout: float = 20) -> httpx.Client:
    """A client of the HTTPS issuer that trusts the generated CA (waits until it answers)."""
    base = f"https://127.0.0.1:{server.settings.https_port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            # The CA is written when the HTTPS issuer starts, which may be after the API answers.
            verify = ssl.create_default_context(cafile=ca_file(server))
            httpx.get(base + "/oauth2/default/.well-known/openid-configuration", verify=verify, timeout=5)
            return httpx.Client(base_url=base, verify=verify, timeout=20)
        except (httpx.HTTPError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def make_password_user(server: LiveServer, email: str, password: str, groups: tuple[str, ...] = ()) -> User:
    ctx = server.ctx
    with ctx.db.session(write=True) as session:
        user = service.create_user(session, ctx.clock, email, password=password)
        session.flush()
        for name in groups:
            group = session.scalar(select(Group).where(Group.name == name)) or \
                service.create_group(session, ctx.clock, name)
            session.flush()
            session.add(Membership(group_id=group.id, user_id=user.id, created_time=ctx.clock.now()))
        return user


def password_login(server: LiveServer, email: str, password: str) -> httpx.Response:
    with server.raw_client() as client:
        return client.post(TOKEN_PATH, data={"grant_type": "password", "username": email, "password": password,
                                             "client_id": "openqcs"})


def refresh(client: httpx.Client, refresh_token: str) -> httpx.Response:
    return client.post(TOKEN_PATH, data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                         "client_id": "openqcs"})


def tokens_for(server: LiveServer, email: str) -> dict:
    ctx = server.ctx
    with ctx.db.session(write=True) as session:
        grant = issuer.grant_for_user(ctx, session, service.require_user_by_email(session, email))
    return issuer.sign(ctx, grant)


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def token_in(message, label: str) -> str:
    match = re.search(rf"{label}: (\S+)", message.get_content())
    assert match, f"no '{label}' in mail: {message.get_content()}"
    return match.group(1)


@contextmanager
def patient_server(database_url: str, data_dir: str, **extra_env: str):
    """``live_server`` with a longer start-up allowance: 8 engineers share 2 cores."""
    upgrade(database_url)
    server = LiveServer(database_url, data_dir, **extra_env)
    server.start(timeout=120)
    try:
        yield server
    finally:
        server.close()


def cli(server, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The real `openqcs` command in a subprocess, with the server's settings."""
    return subprocess.run([OPENQCS, *args], env={**server.env, **env}, capture_output=True, text=True, timeout=60)
