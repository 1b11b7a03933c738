"""What every console page shares: the signed-in user, CSRF on every POST, rendering, flash
messages and error pages (service errors in words, never a stack trace)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, unquote

import anyio
from jinja2 import Environment, PackageLoader, select_autoescape
from litestar import Request, Response
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap

from openqcs.console import session as sessions
from openqcs.console.format import FILTERS
from openqcs.context import AppContext
from openqcs.errors import OpenQCSError, PermissionDenied
from openqcs.identity.principal import Principal

log = logging.getLogger("openqcs.console")
HTML = "text/html; charset=utf-8"
FLASH_COOKIE = "oqcs_flash"
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}

env = Environment(loader=PackageLoader("openqcs.console", "templates"), autoescape=select_autoescape(),
                  auto_reload=False, trim_blocks=True, lstrip_blocks=True)
env.filters.update(FILTERS)


def render(request: Request, template: str, *, status: int = 200, **values: Any) -> Response:
    session: sessions.Session | None = getattr(request.state, "console_session", None)
    me: Principal | None = session.principal if session else None
    flash = unquote(request.cookies.get(FLASH_COOKIE, ""))
    html = env.get_template(template).render(me=me, csrf=session.csrf if session else "", flash=flash,
                                             path=request.url.path, **values)
    response = Response(html, status_code=status, media_type=HTML, headers=HEADERS)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path=sessions.PATH)
    return _with_session(request, response)


def redirect(request: Request, to: str, flash: str = "") -> Response:
    response = Redirect(to, status_code=303, headers=HEADERS)
    if flash:
        response.set_cookie(sessions.cookie(request.app.state.ctx, FLASH_COOKIE, quote(flash[:300]), 60))
    return _with_session(request, response)


def _with_session(request: Request, response: Response) -> Response:
    session = getattr(request.state, "console_session", None)
    if session is not None and session.renewed:
        response.set_cookie(sessions.session_cookie(request.app.state.ctx, session))
    return response


def _signed_in(request: Request) -> Principal:
    ctx = request.app.state.ctx
    session = sessions.read_session(ctx, request)
    if session is None:
        raise sessions.SignInRequired()
    session.principal = sessions.authenticate(ctx, session)
    request.state.console_session = session
    return session.principal


async def _me(request: Request) -> Principal:
    principal = await anyio.to_thread.run_sync(_signed_in, request)
    if request.method not in ("GET", "HEAD"):
        form = await request.form()
        sessions.check_csrf(request.state.console_session, form.get("_csrf"))
    return principal


async def _admin(request: Request, me: Principal) -> Principal:
    if not me.is_admin:
        raise PermissionDenied("this page is for administrators")
    return me


async def _form(request: Request, me: Principal) -> dict[str, str]:
    # Depends on ``me`` so the two never read the body at once (Litestar resolves siblings concurrently).
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


DEPENDENCIES = {"me": Provide(_me), "admin": Provide(_admin), "form": Provide(_form),
                "ctx": Provide(_ctx, sync_to_thread=False)}


# -- error pages -------------------------------------------------------------------------

def error_page(request: Request, status: int, heading: str, message: str) -> Response:
    return render(request, "error.html", status=status, heading=heading, message=message)


def _sign_in_required(request: Request, _: Exception) -> Response:
    target = request.url.path if request.method == "GET" else "/console"
    response = Redirect(f"/console/login?next={quote(target)}", status_code=303, headers=HEADERS)
    response.delete_cookie(sessions.SESSION_COOKIE, path=sessions.PATH)
    return response


def _csrf_refused(request: Request, _: Exception) -> Response:
    return error_page(request, 403, "Form refused",
                      "This form was sent without this session's CSRF token, so it was not acted on. "
                      "Go back, reload the page and send the form again.")


HEADINGS = {400: "Bad request", 401: "Not signed in", 402: "Not enough credit", 403: "Not allowed",
            404: "Not found", 409: "Conflict", 422: "Please check the form", 429: "Too many requests",
            503: "Unavailable"}


def _domain_error(request: Request, exc: OpenQCSError) -> Response:
    return error_page(request, exc.status, HEADINGS.get(exc.status, "Error"), exc.message)


def _http_error(request: Request, exc: HTTPException) -> Response:
    return error_page(request, exc.status_code, HEADINGS.get(exc.status_code, "Error"), str(exc.detail))


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("console page failed", exc_info=exc)
    return error_page(request, 500, "Something went wrong",
                      "The server could not show this page. The error was logged; try again later.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    sessions.SignInRequired: _sign_in_required, sessions.CsrfRefused: _csrf_refused, OpenQCSError: _domain_error,
    HTTPException: _http_error, Exception: _unexpected}
