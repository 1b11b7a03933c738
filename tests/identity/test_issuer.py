"""The embedded OAuth2/OIDC issuer: discovery, JWKS, the three grants, revocation, OAuth errors."""

from __future__ import annotations

import base64
import secrets

import jwt
import pytest

from openqcs.identity import issuer, service
from tests.identity.util import (
    TOKEN_PATH,
    claims_of,
    https_client,
    make_password_user,
    password_login,
    refresh,
    tokens_for,
)

PASSWORD = "correct-horse-battery"


def _email() -> str:
    return f"issuer-{secrets.token_hex(4)}@example.test"


def test_discovery_over_https_names_the_https_issuer_and_its_endpoints(idserver):
    with https_client(idserver) as client:
        doc = client.get("/oauth2/default/.well-known/openid-configuration").json()
        issuer_url = f"https://127.0.0.1:{idserver.settings.https_port}/oauth2/default"
        assert doc["issuer"] == issuer_url
        assert doc["token_endpoint"] == issuer_url + "/v1/token"
        assert doc["jwks_uri"] == issuer_url + "/v1/keys"
        assert doc["authorization_endpoint"].startswith(issuer_url)
        assert "openid" in doc["scopes_supported"]
        keys = client.get("/oauth2/default/v1/keys").json()["keys"]
    assert keys and all(k["kty"] == "RSA" and k["alg"] == "RS256" and k["kid"] for k in keys)


def test_password_grant_issues_tokens_with_the_documented_claims(idserver):
    email = _email()
    user = make_password_user(idserver, email, PASSWORD, groups=("issuer-team",))
    response = password_login(idserver, email, PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"] and body["expires_in"] > 0
    claims = claims_of(body["access_token"])
    assert claims["sub"] == email and claims["uid"] == user.idp_id and claims["groups"] == ["issuer-team"]
    assert claims["aud"] == "api://qcs" and claims["iss"] == idserver.settings.issuer
    assert claims["exp"] > claims["iat"]
    # The token is verifiable with the published JWKS.
    with idserver.raw_client() as client:
        jwks = jwt.PyJWKSet.from_dict(client.get("/oauth2/default/v1/keys").json())
    key = next(k for k in jwks.keys if k.key_id == jwt.get_unverified_header(body["access_token"])["kid"])
    jwt.decode(body["access_token"], key.key, algorithms=["RS256"], audience="api://qcs")
    with idserver.client(body["access_token"]) as api:
        assert api.get("/v1/auth:getUser").json()["idpId"] == user.idp_id


@pytest.mark.parametrize("password", [PASSWORD + "x", ""])
def test_password_grant_refuses_a_wrong_password(idserver, password):
    email = _email()
    make_password_user(idserver, email, PASSWORD)
    response = password_login(idserver, email, password)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_grant", "invalid_request")


def test_password_grant_for_unknown_user_is_invalid_grant(idserver):
    response = password_login(idserver, _email(), PASSWORD)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_refresh_through_https_always_returns_a_new_access_and_refresh_token(idserver):
    email = _email()
    make_password_user(idserver, email, PASSWORD)
    first = tokens_for(idserver, email)
    with https_client(idserver) as client:
        response = refresh(client, first["refresh_token"])
        assert response.status_code == 200, response.text
        second = response.json()
        assert second["access_token"] and second["refresh_token"]
        assert second["refresh_token"] != first["refresh_token"]
        # The rotated token works too.
        third = refresh(client, second["refresh_token"])
        assert third.status_code == 200 and third.json()["refresh_token"] not in (first["refresh_token"],
                                                                                  second["refresh_token"])
    with idserver.client(second["access_token"]) as api:
        assert api.get("/v1/auth:getUser").json()["profile"]["email"] == email


def test_revoked_refresh_tokens_are_refused(idserver):
    email = _email()
    make_password_user(idserver, email, PASSWORD)
    first = tokens_for(idserver, email)
    with idserver.raw_client() as client:
        second = refresh(client, first["refresh_token"]).json()
        revoked = client.post("/oauth2/default/v1/revoke", data={"token": first["refresh_token"]})
        assert revoked.status_code == 200
        for token in (first["refresh_token"], second["refresh_token"]):  # the whole family
            response = refresh(client, token)
            assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_disabling_a_user_ends_their_refresh_tokens_and_access(idserver):
    email = _email()
    make_password_user(idserver, email, PASSWORD)
    tokens = tokens_for(idserver, email)
    ctx = idserver.ctx
    with ctx.db.session(write=True) as session:
        service.set_disabled(session, ctx.clock, email)
    with idserver.raw_client() as client:
        assert refresh(client, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert password_login(idserver, email, PASSWORD).status_code == 400
    with idserver.client(tokens["access_token"]) as api:
        assert api.get("/v1/auth:getUser").status_code == 401


def _service_client(idserver, email: str) -> tuple[str, str]:
    ctx = idserver.ctx
    with ctx.db.session(write=True) as session:
        user = service.create_user(session, ctx.clock, email)
        session.flush()
        return issuer.create_service_client(session, ctx, user)


def test_client_credentials_with_http_basic_act_as_the_service_account(idserver):
    email = _email()
    client_id, secret = _service_client(idserver, email)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    with idserver.raw_client() as client:
        response = client.post(TOKEN_PATH, data={"grant_type": "client_credentials"},
                               headers={"authorization": f"Basic {basic}"})
        assert response.status_code == 200, response.text
        assert "refresh_token" not in response.json()
        wrong = base64.b64encode(f"{client_id}:{secret}x".encode()).decode()
        bad = client.post(TOKEN_PATH, data={"grant_type": "client_credentials"},
                          headers={"authorization": f"Basic {wrong}"})
        assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
        garbled = client.post(TOKEN_PATH, data={"grant_type": "client_credentials"},
                              headers={"authorization": "Basic !!!"})
        assert garbled.status_code == 401 and garbled.json()["error"] == "invalid_client"
    with idserver.client(response.json()["access_token"]) as api:
        assert api.get("/v1/auth:getUser").json()["profile"]["email"] == email


@pytest.mark.parametrize("data,error", [
    ({"grant_type": "authorization_code", "code": "x"}, "invalid_request"),  # no code_verifier
    ({"grant_type": "implicit"}, "unsupported_grant_type"),
    ({}, "invalid_request"),
    ({"grant_type": "refresh_token"}, "invalid_request"),
    ({"grant_type": "refresh_token", "refresh_token": "not-a-real-token"}, "invalid_grant"),
    ({"grant_type": "password", "username": "x@y.z"}, "invalid_request"),
])
def test_bad_token_requests_get_oauth2_errors_never_500(idserver, data, error):
    with idserver.raw_client() as client:
        response = client.post(TOKEN_PATH, data=data)
    assert response.status_code == 400
    assert response.json()["error"] == error and response.json()["error_description"]
    assert response.headers["cache-control"] == "no-store"


def test_token_endpoint_wants_a_form(idserver):
    with idserver.raw_client() as client:
        response = client.post(TOKEN_PATH, json={"grant_type": "password"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
