"""External OIDC issuer mode: tokens from another issuer (a throwaway JWKS served by the test)
are verified against its JWKS, their users created on first sight; the embedded issuer is off."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from openqcs.identity.models import User
from tests.identity.util import patient_server
from tests.support.databases import database

ISSUER = "https://idp.example.test/oauth2/corp"
AUDIENCE = "api://qcs-corp"


class _Jwks:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        body = json.dumps({"keys": [{**jwk, "kid": "corp-1", "use": "sig", "alg": "RS256"}]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/keys"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def token(self, key=None, **claims) -> str:
        now = int(time.time())
        base = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}
        return jwt.encode({**base, **claims}, key or self.key, algorithm="RS256", headers={"kid": "corp-1"})


@pytest.fixture(scope="module")
def external(tmp_path_factory):
    jwks = _Jwks()
    directory = str(tmp_path_factory.mktemp("external-oidc"))
    env = {"OPENQCS_OIDC_ISSUER": ISSUER, "OPENQCS_OIDC_AUDIENCE": AUDIENCE, "OPENQCS_OIDC_JWKS_URL": jwks.url,
           "OPENQCS_OIDC_USER_CLAIM": "employee_id", "OPENQCS_OIDC_GROUPS_CLAIM": "teams",
           "OPENQCS_API_ONLY": "true"}
    with database("sqlite", directory) as url, patient_server(url, directory, **env) as srv:
        yield srv, jwks
    jwks.httpd.shutdown()


def test_external_tokens_are_accepted_and_their_users_provisioned(external):
    server, jwks = external
    token = jwks.token(sub="alice@corp.example", employee_id="emp-4711", email="alice@corp.example", teams=["lab"])
    with server.client(token) as api:
        first = api.get("/v1/auth:getUser")
        assert first.status_code == 200, first.text
        assert first.json()["idpId"] == "emp-4711"
        assert first.json()["profile"]["email"] == "alice@corp.example"
        assert api.get("/v1/auth:getUser").json()["id"] == first.json()["id"]  # the same user, once
        # Groups come from the configured claim: a claimed group is readable (404: no such group
        # here yet), an unclaimed one is not (403).
        assert api.get("/v1/groups/lab/users").status_code == 404
        assert api.get("/v1/groups/other-lab/users").status_code == 403
    with server.ctx.db.session() as session:
        assert session.scalars(select(User).where(User.idp_id == "emp-4711")).all()


@pytest.mark.parametrize("change", ["other key", "wrong audience", "wrong issuer", "expired"])
def test_external_mode_still_refuses_bad_tokens(external, change):
    server, jwks = external
    claims = {"sub": "mallory@corp.example", "employee_id": "emp-666"}
    key = None
    if change == "other key":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif change == "wrong audience":
        claims["aud"] = "api://qcs"
    elif change == "wrong issuer":
        claims["iss"] = "https://evil.example.test/oauth2/corp"
    elif change == "expired":
        claims["exp"] = int(time.time()) - 60
    with server.client(jwks.token(key, **claims)) as api:
        assert api.get("/v1/auth:getUser").status_code == 401


def test_embedded_issuer_is_off(external):
    server, _ = external
    with server.raw_client() as client:
        assert client.get("/oauth2/default/.well-known/openid-configuration").status_code == 404
        assert client.post("/oauth2/default/v1/token", data={"grant_type": "password"}).status_code == 404
