"""Token attacks: each forged or misused token is refused with the right status."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from openqcs.identity.models import SigningKey
from tests.support.factories import make_user


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _active_key(server) -> tuple[str, str]:
    with server.ctx.db.session() as session:
        key = session.scalar(select(SigningKey).where(SigningKey.retired_time.is_(None))
                             .order_by(SigningKey.created_time.desc()))
        return key.kid, key.private_pem


def _claims(server, user, **changes) -> dict:
    now = int(time.time())
    claims = {"sub": user.email, "uid": user.idp_id, "groups": [], "iss": server.settings.issuer,
              "aud": "api://qcs", "iat": now, "exp": now + 600}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _forge(server, user, kind: str) -> str:
    kid, pem = _active_key(server)
    private = serialization.load_pem_private_key(pem.encode(), None)
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
    sign = lambda claims, key=pem, headers=None: jwt.encode(claims, key, algorithm="RS256",  # noqa: E731
                                                            headers=headers or {"kid": kid})
    if kind == "forged signature":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return sign(_claims(server, user), other)
    if kind == "tampered payload":
        head, _, sig = sign(_claims(server, user)).split(".")
        return ".".join([head, _b64(_claims(server, user, groups=["admins"])), sig])
    if kind == "expired":
        return sign(_claims(server, user, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600))
    if kind == "alg none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(_claims(server, user))}."
    if kind == "HS256 with the public key":
        head = _b64({"alg": "HS256", "typ": "JWT", "kid": kid})
        body = _b64(_claims(server, user))
        mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    if kind == "wrong audience":
        return sign(_claims(server, user, aud="api://elsewhere"))
    if kind == "wrong issuer":
        return sign(_claims(server, user, iss="https://evil.example/oauth2/default"))
    if kind == "no exp":
        return sign(_claims(server, user, exp=None))
    if kind == "unknown kid":
        return sign(_claims(server, user), headers={"kid": "no-such-key"})
    if kind == "unknown user":
        return sign(_claims(server, user, uid="u-nobody", sub="nobody@example.test"))
    if kind == "garbage":
        return "not.a.jwt"
    raise AssertionError(kind)


ATTACKS = ["forged signature", "tampered payload", "expired", "alg none", "HS256 with the public key",
           "wrong audience", "wrong issuer", "no exp", "unknown kid", "unknown user", "garbage"]


@pytest.mark.parametrize("kind", ATTACKS)
def test_bad_tokens_get_401_in_the_error_shape(idserver, kind):
    user = make_user(idserver.ctx)
    token = _forge(idserver, user, kind)
    with idserver.client(token) as api:
        response = api.get("/v1/auth:getUser")
        assert response.status_code == 401, (kind, response.text)
        assert response.json()["code"] == "unauthorized"
        # Writes refuse it the same way.
        assert api.post("/v1/groups:addUser", json={"groupName": "x", "userEmail": user.email}).status_code == 401


def test_a_correctly_signed_token_passes_the_same_checks(idserver):
    user = make_user(idserver.ctx)
    kid, pem = _active_key(idserver)
    token = jwt.encode(_claims(idserver, user), pem, algorithm="RS256", headers={"kid": kid})
    with idserver.client(token) as api:
        assert api.get("/v1/auth:getUser").status_code == 200


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Token x"])
def test_malformed_authorization_headers_get_401(idserver, header):
    with idserver.client() as api:
        response = api.get("/v1/auth:getUser", headers={"authorization": header})
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_missing_token_gets_401_not_an_empty_200(idserver):
    with idserver.client() as api:
        assert api.get("/v1/auth:getUser").status_code == 401
        assert api.get(f"/v1/users/u{secrets.token_hex(4)}/groups").status_code == 401


def test_a_users_token_on_another_users_resources(idserver):
    group = f"private-{secrets.token_hex(3)}"
    owner = make_user(idserver.ctx, groups=(group,))
    intruder = make_user(idserver.ctx)
    with idserver.client(intruder.token) as api:
        assert api.get(f"/v1/users/{owner.idp_id}/groups").status_code == 403
        assert api.get(f"/v1/groups/{group}/users").status_code == 403
        # Joining someone else's group, or pulling its members out, is refused.
        assert api.post("/v1/groups:addUser", json={"groupName": group, "userId": intruder.idp_id}).status_code == 403
        assert api.post("/v1/groups:removeUser", json={"groupName": group, "userId": owner.idp_id}).status_code == 403
    with idserver.client(owner.token) as api:
        members = api.get(f"/v1/groups/{group}/users").json()["users"]
    assert [m["idpId"] for m in members] == [owner.idp_id]
