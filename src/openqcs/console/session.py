"""The console's sign-in session: a signed, HttpOnly cookie holding the user's tokens and the
session's CSRF token. Nothing is kept in process memory, so any replica serves any request."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from litestar import Request
from litestar.datastructures import Cookie

from openqcs.context import AppContext
from openqcs.core.service import server_secret
from openqcs.errors import InvalidArgument, Unauthenticated
from openqcs.http.tokens import Signer
from openqcs.identity.principal import Principal, principal_from_claims

SESSION_COOKIE = "oqcs_session"
FLOW_COOKIE = "oqcs_signin"  # the PKCE verifier and state while the browser is at the issuer
PATH = "/console"
_signers: dict[tuple[int, str], Signer] = {}


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""


class CsrfRefused(Exception):
    """A form came without this session's CSRF token."""


@dataclass
class Session:
    access_token: str
    refresh_token: str
    csrf: str
    principal: Principal | None = None
    renewed: bool = False  # tokens refreshed during this request: the cookie must be sent again

    def payload(self) -> dict[str, str]:
        return {"a": self.access_token, "r": self.refresh_token, "x": self.csrf}


def signer(ctx: AppContext, purpose: str) -> Signer:
    key = (id(ctx), purpose)
    if key not in _signers:
        with ctx.db.session(write=True) as session:
            _signers[key] = Signer(server_secret(session, f"console-{purpose}"),
                                   max_age=ctx.settings.refresh_token_ttl)
    return _signers[key]


def cookie(ctx: AppContext, name: str, value: str, max_age: int | None) -> Cookie:
    # Secure once the server is published over HTTPS; plain http on a laptop must still work.
    return Cookie(key=name, value=value, path=PATH, httponly=True, samesite="lax", max_age=max_age,
                  secure=ctx.settings.api_url.startswith("https://"))


def session_cookie(ctx: AppContext, session: Session) -> Cookie:
    return cookie(ctx, SESSION_COOKIE, signer(ctx, "session").sign(session.payload()), ctx.settings.refresh_token_ttl)


def new_session(access_token: str, refresh_token: str) -> Session:
    return Session(access_token, refresh_token or "", secrets.token_urlsafe(24))


def read_session(ctx: AppContext, request: Request) -> Session | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = signer(ctx, "session").unsign(raw, param="session")
    except InvalidArgument:
        return None
    if not all(isinstance(data.get(k), str) for k in ("a", "r", "x")):
        return None
    return Session(data["a"], data["r"], data["x"])


def authenticate(ctx: AppContext, session: Session) -> Principal:
    """The session's user; an expired access token is refreshed once. SignInRequired otherwise."""
    from openqcs.console import signin

    try:
        claims = ctx.tokens.verify(session.access_token)
    except Unauthenticated:
        if not session.refresh_token:
            raise SignInRequired() from None
        tokens = signin.refresh(ctx, session.refresh_token)
        if tokens is None:
            raise SignInRequired() from None
        session.access_token, session.refresh_token = tokens
        session.renewed = True
        try:
            claims = ctx.tokens.verify(session.access_token)
        except Unauthenticated:
            raise SignInRequired() from None
    try:
        with ctx.db.session() as db:
            return principal_from_claims(db, claims, ctx.settings, ctx.clock)
    except Unauthenticated:
        raise SignInRequired() from None


def check_csrf(session: Session, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(str(sent), session.csrf):
        raise CsrfRefused()
