"""The embedded issuer under ``/oauth2/default``: discovery, JWKS, token, revoke (and the
authorization endpoint, in ``authorize_routes.py``).

Not spec operations; errors use the OAuth2 JSON (``{"error", "error_description"}``), which
is what OAuth clients parse. Off (404) when an external OIDC issuer is configured.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

import anyio
from litestar import Request, Response, get, post

from openqcs.context import AppContext
from openqcs.errors import NotFound
from openqcs.identity import issuer

PREFIX = "/oauth2/default"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _embedded(ctx: AppContext) -> None:
    if ctx.tokens.external:
        raise NotFound("the embedded issuer is off: this server trusts an external OIDC issuer")


def _oauth_error(exc: issuer.OAuthError) -> Response:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="openqcs"'
    return Response({"error": exc.error, "error_description": exc.description}, status_code=exc.status,
                    headers=headers)


@get(f"{PREFIX}/.well-known/openid-configuration", include_in_schema=False)
async def openid_configuration(ctx: AppContext) -> dict[str, Any]:
    _embedded(ctx)
    return issuer.discovery(ctx.settings.issuer)


@get(f"{PREFIX}/.well-known/oauth-authorization-server", include_in_schema=False)
async def oauth_metadata(ctx: AppContext) -> dict[str, Any]:
    _embedded(ctx)
    return issuer.discovery(ctx.settings.issuer)


@get(f"{PREFIX}/v1/keys", include_in_schema=False, sync_to_thread=True)
def jwks(ctx: AppContext) -> Response:
    _embedded(ctx)
    return Response(ctx.tokens.jwks(), headers={"Cache-Control": "max-age=300"})


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise issuer.OAuthError("invalid_client", "malformed HTTP Basic credentials", 401) from None
    client_id, sep, secret = raw.partition(":")
    if not sep:
        raise issuer.OAuthError("invalid_client", "malformed HTTP Basic credentials", 401)
    return unquote_plus(client_id), unquote_plus(secret)


async def _form(request: Request) -> dict[str, str]:
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise issuer.OAuthError("invalid_request", "send the request as application/x-www-form-urlencoded")
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _grant(ctx: AppContext, form: dict[str, str], basic: tuple[str, str] | None) -> issuer.Grant:
    from openqcs.identity.authorize import authorization_code_grant

    grant_type = form.get("grant_type", "")
    client_id = basic[0] if basic else form.get("client_id", "")
    with ctx.db.session(write=True) as session:
        if grant_type == "refresh_token":
            return issuer.refresh_grant(ctx, session, form.get("refresh_token", ""), client_id)
        if grant_type == "password":
            return issuer.password_grant(ctx, session, form.get("username", ""), form.get("password", ""), client_id)
        if grant_type == "authorization_code":
            return authorization_code_grant(ctx, session, form.get("code", ""), form.get("redirect_uri", ""),
                                            client_id, form.get("code_verifier", ""))
        if grant_type == "client_credentials":
            secret = basic[1] if basic else form.get("client_secret", "")
            return issuer.client_credentials_grant(ctx, session, client_id, secret)
    if not grant_type:
        raise issuer.OAuthError("invalid_request", "grant_type is required")
    raise issuer.OAuthError("unsupported_grant_type", f"grant_type '{grant_type[:50]}' is not supported; "
                            "use authorization_code, refresh_token, password or client_credentials")


@post(f"{PREFIX}/v1/token", include_in_schema=False, status_code=200)
async def token(ctx: AppContext, request: Request) -> Response:
    _embedded(ctx)
    try:
        form = await _form(request)
        basic = _basic_auth(request.headers.get("authorization"))
        grant = await anyio.to_thread.run_sync(_grant, ctx, form, basic)
    except issuer.OAuthError as exc:
        return _oauth_error(exc)
    body = await anyio.to_thread.run_sync(issuer.sign, ctx, grant)
    return Response(body, headers=NO_STORE)


def _revoke(ctx: AppContext, token_value: str) -> None:
    with ctx.db.session(write=True) as session:
        issuer.revoke_refresh_token(session, ctx, token_value)


@post(f"{PREFIX}/v1/revoke", include_in_schema=False, status_code=200)
async def revoke(ctx: AppContext, request: Request) -> Response:
    """RFC 7009: 200 whether or not the token was known."""
    _embedded(ctx)
    try:
        form = await _form(request)
    except issuer.OAuthError as exc:
        return _oauth_error(exc)
    await anyio.to_thread.run_sync(_revoke, ctx, form.get("token", ""))
    return Response(content=b"", status_code=200, headers=NO_STORE)


def _routes() -> list:
    from openqcs.identity.authorize_routes import AUTHORIZE_ROUTES

    return [openid_configuration, oauth_metadata, jwks, token, revoke, *AUTHORIZE_ROUTES]


OAUTH2_ROUTES = _routes()
