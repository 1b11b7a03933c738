"""The issuer's authorization endpoint: a sign-in page that answers with an authorization code."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import anyio
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from openqcs.context import AppContext
from openqcs.errors import InvalidArgument
from openqcs.identity import authorize
from openqcs.identity.oauth2_routes import PREFIX, _embedded
from openqcs.identity.pages import render

PARAMS = ("client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method", "state", "scope")
CSRF_COOKIE = "oqcs_login"
HTML = "text/html; charset=utf-8"
NO_STORE = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}  # no clickjacking of the password form


def _page(params: dict[str, str] | None, csrf: str, *, error: str = "", email: str = "",
          status: int = 200) -> Response:
    html = render("login.html", params=params, csrf=csrf, error=error, email=email, action=f"{PREFIX}/v1/authorize")
    cookie = Cookie(key=CSRF_COOKIE, value=csrf, path=PREFIX, httponly=True, samesite="lax", max_age=3600)
    return Response(html, status_code=status, media_type=HTML, cookies=[cookie], headers=NO_STORE)


def _params(source: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(source.get(name))[:2000] for name in PARAMS if source.get(name)}


@get(f"{PREFIX}/v1/authorize", include_in_schema=False)
async def authorize_page(ctx: AppContext, request: Request) -> Response:
    _embedded(ctx)
    params = _params(request.query_params)
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    try:
        authorize.check_request(ctx.settings, params)
    except InvalidArgument as exc:
        return _page(None, csrf, error=f"This sign-in request cannot be served: {exc.message}.", status=400)
    return _page(params, csrf)


def _sign_in(ctx: AppContext, email: str, password: str, params: dict[str, str]) -> str:
    with ctx.db.session() as session:
        user = authorize.authenticate(session, email, password)
    return authorize.issue_code(ctx, user, params)


@post(f"{PREFIX}/v1/authorize", include_in_schema=False, status_code=303)
async def authorize_submit(ctx: AppContext, request: Request) -> Response:
    _embedded(ctx)
    form = await request.form()
    params = _params(form)
    sent, expected = str(form.get("_csrf") or ""), request.cookies.get(CSRF_COOKIE) or ""
    csrf = expected or secrets.token_urlsafe(24)
    if not expected or not hmac.compare_digest(sent, expected):
        return _page(None, csrf, status=403, error="This form was not sent from this sign-in page (its CSRF token "
                     "is missing or wrong). Go back to the application and start signing in again.")
    try:
        authorize.check_request(ctx.settings, params)
    except InvalidArgument as exc:
        return _page(None, csrf, error=f"This sign-in request cannot be served: {exc.message}.", status=400)
    email = str(form.get("email") or "")
    try:
        code = await anyio.to_thread.run_sync(_sign_in, ctx, email, str(form.get("password") or ""), params)
    except InvalidArgument as exc:
        return _page(params, csrf, error=exc.message.capitalize() + ".", email=email, status=401)
    answer = {"code": code, **({"state": params["state"]} if "state" in params else {})}
    separator = "&" if "?" in params["redirect_uri"] else "?"
    return Redirect(params["redirect_uri"] + separator + urlencode(answer), status_code=303, headers=NO_STORE)


AUTHORIZE_ROUTES = [authorize_page, authorize_submit]
