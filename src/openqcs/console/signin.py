"""The console as an OAuth2 client: authorization code with PKCE against the embedded issuer
(called in-process) or an external OIDC issuer (over HTTP, endpoints from its discovery)."""

from __future__ import annotations

import secrets
import threading
from typing import Any
from urllib.parse import urlencode

from cachetools import TTLCache, cached

from openqcs.context import AppContext
from openqcs.errors import InvalidArgument, Unavailable
from openqcs.identity import authorize, issuer

CLIENT_ID = "openqcs-console"
SCOPE = "openid profile email offline_access"
EMBEDDED_AUTHORIZE = "/oauth2/default/v1/authorize"  # same origin as the page the browser is on


def _discovery(ctx: AppContext) -> dict[str, Any]:
    return _discovery_document(ctx.settings.oidc_issuer)


@cached(TTLCache(maxsize=8, ttl=300), lock=threading.Lock())  # failures are not kept: the next sign-in retries
def _discovery_document(oidc_issuer: str) -> dict[str, Any]:
    import httpx  # only with an external issuer: not loaded at start

    url = oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        doc: dict[str, Any] = httpx.get(url, timeout=10).raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Unavailable(f"the sign-in service at {oidc_issuer} cannot be reached ({exc})") from None
    return doc


def start(ctx: AppContext, redirect_uri: str) -> tuple[str, dict[str, str]]:
    """Where to send the browser, and what the callback must find in the flow cookie."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    endpoint = _discovery(ctx)["authorization_endpoint"] if ctx.tokens.external else EMBEDDED_AUTHORIZE
    query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri, "scope": SCOPE,
             "state": state, "code_challenge": authorize.s256(verifier), "code_challenge_method": "S256"}
    return f"{endpoint}?{urlencode(query)}", {"v": verifier, "s": state, "u": redirect_uri}


def _token_request(ctx: AppContext, form: dict[str, str]) -> dict[str, Any] | None:
    import httpx

    try:
        response = httpx.post(_discovery(ctx)["token_endpoint"], data={"client_id": CLIENT_ID, **form}, timeout=15)
    except httpx.HTTPError as exc:
        raise Unavailable(f"the sign-in service cannot be reached ({exc})") from None
    return response.json() if response.status_code == 200 else None


def finish(ctx: AppContext, code: str, flow: dict[str, str]) -> tuple[str, str]:
    """Redeem the code: (access token, refresh token); InvalidArgument when the issuer refuses it."""
    if ctx.tokens.external:
        body = _token_request(ctx, {"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": flow["u"], "code_verifier": flow["v"]})
        if not body or "access_token" not in body:
            raise InvalidArgument("the sign-in service refused the authorization code; sign in again")
        return body["access_token"], body.get("refresh_token", "")
    try:
        with ctx.db.session(write=True) as session:
            grant = authorize.authorization_code_grant(ctx, session, code, flow["u"], CLIENT_ID, flow["v"])
    except issuer.OAuthError as exc:
        raise InvalidArgument(f"sign-in failed: {exc.description}") from None
    body = issuer.sign(ctx, grant)
    return body["access_token"], body.get("refresh_token", "")


def refresh(ctx: AppContext, refresh_token: str) -> tuple[str, str] | None:
    if ctx.tokens.external:
        body = _token_request(ctx, {"grant_type": "refresh_token", "refresh_token": refresh_token})
        return (body["access_token"], body.get("refresh_token", refresh_token)) if body else None
    try:
        with ctx.db.session(write=True) as session:
            grant = issuer.refresh_grant(ctx, session, refresh_token, CLIENT_ID)
    except issuer.OAuthError:
        return None
    body = issuer.sign(ctx, grant)
    return body["access_token"], body.get("refresh_token", refresh_token)


def sign_out(ctx: AppContext, refresh_token: str) -> None:
    """Revoke the session's refresh token (the embedded issuer; an external one keeps its own)."""
    if refresh_token and not ctx.tokens.external:
        with ctx.db.session(write=True) as session:
            issuer.revoke_refresh_token(session, ctx, refresh_token)
