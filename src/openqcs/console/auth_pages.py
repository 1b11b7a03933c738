"""Signing in (authorization code + PKCE at the issuer), the callback, and signing out."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect

from openqcs.console import session as sessions
from openqcs.console import signin
from openqcs.console.web import HEADERS, error_page, redirect, render
from openqcs.context import AppContext
from openqcs.errors import InvalidArgument
from openqcs.identity.principal import Principal


def _local(path: str | None) -> str:
    """Only paths inside the console: never an open redirect."""
    return path if path and path.startswith("/console") and not path.startswith("//") else "/console"


def _base_url(ctx: AppContext, request: Request) -> str:
    return (ctx.settings.public_url or str(request.base_url)).rstrip("/")


@get("/login", sync_to_thread=True)
def login(request: Request, ctx: AppContext) -> Response:
    session = sessions.read_session(ctx, request)
    if session is not None:
        try:
            sessions.authenticate(ctx, session)
            return Redirect(_local(request.query_params.get("next")), status_code=303)
        except sessions.SignInRequired:
            pass
    issuer = ctx.settings.oidc_issuer if ctx.tokens.external else ""
    return render(request, "login.html", title="Sign in", issuer=issuer,
                  next=_local(request.query_params.get("next")))


@get("/signin", sync_to_thread=True)
def start_signin(request: Request, ctx: AppContext) -> Response:
    url, flow = signin.start(ctx, _base_url(ctx, request) + "/console/callback")
    flow["n"] = _local(request.query_params.get("next"))
    response = Redirect(url, status_code=303, headers=HEADERS)
    response.set_cookie(sessions.cookie(ctx, sessions.FLOW_COOKIE, sessions.signer(ctx, "flow").sign(flow), 600))
    return response


@get("/callback", sync_to_thread=True)
def callback(request: Request, ctx: AppContext) -> Response:
    params = request.query_params
    if params.get("error"):
        return error_page(request, 400, "Sign-in failed",
                          f"The sign-in service answered: {params.get('error_description') or params.get('error')}")
    try:
        flow = sessions.signer(ctx, "flow").unsign(request.cookies.get(sessions.FLOW_COOKIE, ""), param="flow")
    except InvalidArgument:
        flow = {}
    if not flow or flow.get("s") != params.get("state"):
        return error_page(request, 400, "Sign-in failed",
                          "This sign-in was not started from this browser or took too long. Sign in again.")
    access, refresh = signin.finish(ctx, params.get("code") or "", flow)
    response = Redirect(_local(flow.get("n")), status_code=303, headers=HEADERS)
    response.set_cookie(sessions.session_cookie(ctx, sessions.new_session(access, refresh)))
    response.delete_cookie(sessions.FLOW_COOKIE, path=sessions.PATH)
    return response


@post("/logout", sync_to_thread=True)
def logout(request: Request, ctx: AppContext, me: Principal) -> Response:
    signin.sign_out(ctx, request.state.console_session.refresh_token)
    response = redirect(request, "/console/login", flash="You are signed out.")
    response.delete_cookie(sessions.SESSION_COOKIE, path=sessions.PATH)
    return response


ROUTES = [login, start_signin, callback, logout]
