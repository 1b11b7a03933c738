"""Helpers shared by the identity tests."""

from __future__ import annotations

import os
import ssl
import time

import httpx
import jwt
from sqlalchemy import select

from openqcs.identity import issuer, service
from openqcs.identity.models import Group, Membership, User
from tests.support.server import LiveServer

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
