"""The authorization endpoint: sign-in page → code → token, with PKCE (S256), over HTTP."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

from tests.identity.util import TOKEN_PATH, claims_of, make_password_user

AUTHORIZE = "/oauth2/default/v1/authorize"
PASSWORD = "correct-horse-battery"
REDIRECT = "http://127.0.0.1:9/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _params(challenge: str, **extra: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": "my-app", "redirect_uri": REDIRECT, "state": "st-123",
            "code_challenge": challenge, "code_challenge_method": "S256", "scope": "openid offline_access", **extra}


def _sign_in(client, params: dict[str, str], email: str, password: str = PASSWORD):
    page = client.get(AUTHORIZE, params=params)
    assert page.status_code == 200 and "<title>Sign in" in page.text
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    return client.post(AUTHORIZE, data={**params, "_csrf": csrf, "email": email, "password": password})


def _code(response) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    return query["code"][0]


def _redeem(client, code: str, verifier: str, **extra: str):
    return client.post(TOKEN_PATH, data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                         "client_id": "my-app", "code_verifier": verifier, **extra})


def test_discovery_advertises_the_code_grant_with_s256(idserver):
    with idserver.raw_client() as client:
        doc = client.get("/oauth2/default/.well-known/openid-configuration").json()
        assert "authorization_code" in doc["grant_types_supported"]
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert client.get(urlsplit(doc["authorization_endpoint"]).path).status_code == 400  # no params: a page


def test_sign_in_gives_a_code_that_redeems_once_for_working_tokens(idserver):
    email = f"code-{secrets.token_hex(4)}@example.test"
    user = make_password_user(idserver, email, PASSWORD)
    verifier, challenge = _pkce()
    with idserver.raw_client() as client:
        code = _code(_sign_in(client, _params(challenge), email))
        tokens = _redeem(client, code, verifier)
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        assert claims_of(body["access_token"])["uid"] == user.idp_id and body["refresh_token"]
        assert client.get("/v1/auth:getUser", headers={"authorization": f"Bearer {body['access_token']}"}
                          ).json()["idpId"] == user.idp_id
        again = _redeem(client, code, verifier)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        # Replaying a code revokes what its first use gave.
        refreshed = client.post(TOKEN_PATH, data={"grant_type": "refresh_token", "client_id": "my-app",
                                                  "refresh_token": body["refresh_token"]})
        assert refreshed.status_code == 400


def test_a_wrong_code_verifier_or_redirect_uri_is_refused(idserver):
    email = f"code-{secrets.token_hex(4)}@example.test"
    make_password_user(idserver, email, PASSWORD)
    verifier, challenge = _pkce()
    with idserver.raw_client() as client:
        code = _code(_sign_in(client, _params(challenge), email))
        wrong = _redeem(client, code, secrets.token_urlsafe(48))
        assert wrong.status_code == 400 and "code_verifier" in wrong.json()["error_description"]
        moved = _redeem(client, code, verifier, redirect_uri="http://127.0.0.1:9/elsewhere")
        assert moved.status_code == 400 and "redirect_uri" in moved.json()["error_description"]
        assert _redeem(client, code, verifier).status_code == 200  # the failures did not use it up
        forged = _redeem(client, code[:-4] + "AAAA", verifier)
        assert forged.status_code == 400 and forged.json()["error"] == "invalid_grant"


def test_wrong_password_stays_on_the_page_with_a_message(idserver):
    email = f"code-{secrets.token_hex(4)}@example.test"
    make_password_user(idserver, email, PASSWORD)
    _, challenge = _pkce()
    with idserver.raw_client() as client:
        response = _sign_in(client, _params(challenge), email, "not-the-password")
        assert response.status_code == 401 and "wrong email or password" in response.text.lower()
        assert "location" not in response.headers


def test_bad_requests_are_explained_on_the_page_and_never_redirected(idserver):
    _, challenge = _pkce()
    cases = {"redirect_uri": ("https://evil.example/cb", "not allowed"),
             "code_challenge_method": ("plain", "S256"),
             "code_challenge": ("short", "code_challenge"),
             "response_type": ("token", "response_type")}
    with idserver.raw_client() as client:
        for field, (value, words) in cases.items():
            response = client.get(AUTHORIZE, params=_params(challenge, **{field: value}))
            assert response.status_code == 400 and words in response.text, field
            assert "location" not in response.headers and "<form" not in response.text


def test_a_sign_in_post_without_its_csrf_token_is_refused(idserver):
    email = f"code-{secrets.token_hex(4)}@example.test"
    make_password_user(idserver, email, PASSWORD)
    _, challenge = _pkce()
    with idserver.raw_client() as client:
        response = client.post(AUTHORIZE, data={**_params(challenge), "email": email, "password": PASSWORD})
    assert response.status_code == 403 and "CSRF" in response.text and "location" not in response.headers
