"""The authorization-code grant with PKCE (RFC 6749 §4.1, RFC 7636, S256 only).

Codes are signed, not stored: a code names the user, client, redirect URI and code challenge
and lives for ``CODE_TTL``. Redeeming one starts a refresh-token family named after the code's
nonce, so a second redemption finds that family, is refused, and revokes what the first one got
(RFC 6749 §4.1.2). Clients are public and unregistered (as for the other grants): the redirect URI
must be a loopback address (RFC 8252 §7.3) or on this server's own origin.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from openqcs.config import Settings
from openqcs.context import AppContext
from openqcs.core.service import server_secret
from openqcs.errors import InvalidArgument
from openqcs.http.tokens import Signer
from openqcs.identity import issuer
from openqcs.identity.models import RefreshToken, User
from openqcs.identity.passwords import verify_password
from openqcs.identity.service import user_by_email

CODE_TTL = timedelta(minutes=2)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_signers: dict[int, Signer] = {}


def _signer(ctx: AppContext) -> Signer:
    signer = _signers.get(id(ctx))
    if signer is None:
        with ctx.db.session(write=True) as session:
            signer = Signer(server_secret(session, "authorization-codes"))
        _signers[id(ctx)] = signer
    return signer


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def check_redirect_uri(settings: Settings, uri: str) -> str:
    """InvalidArgument unless ``uri`` is an absolute http(s) URL on loopback or this server's origin."""
    try:
        scheme, host, _ = _origin(uri)
    except ValueError:
        raise InvalidArgument("redirect_uri is not a valid URL") from None
    if scheme not in ("http", "https") or not host or "#" in uri:
        raise InvalidArgument("redirect_uri must be an absolute http(s) URL without a fragment")
    own = {_origin(settings.api_url), _origin(settings.issuer)}
    if host not in LOOPBACK and _origin(uri) not in own:
        raise InvalidArgument(f"redirect_uri '{uri[:200]}' is not allowed: use a loopback address or this server")
    return uri


def check_request(settings: Settings, params: dict[str, str]) -> None:
    """Errors the user must see on the issuer's page (never sent to an unchecked redirect URI)."""
    if not params.get("client_id"):
        raise InvalidArgument("client_id is required")
    check_redirect_uri(settings, params.get("redirect_uri", ""))
    if params.get("response_type") != "code":
        raise InvalidArgument("response_type must be 'code'")
    challenge = params.get("code_challenge", "")
    if not 43 <= len(challenge) <= 128:
        raise InvalidArgument("code_challenge is required (PKCE, 43-128 characters)")
    if params.get("code_challenge_method") != "S256":
        raise InvalidArgument("code_challenge_method must be 'S256'")


def authenticate(session: Session, email: str, password: str) -> User:
    user = user_by_email(session, email) if email else None
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or user.disabled or not user.activated:
        raise InvalidArgument("wrong email or password, or the user is not active")
    return user


def issue_code(ctx: AppContext, user: User, params: dict[str, str]) -> str:
    expires = ctx.clock.now() + CODE_TTL
    return _signer(ctx).sign({"u": user.id, "c": params["client_id"][:200], "r": params["redirect_uri"],
                              "p": params["code_challenge"], "n": secrets.token_hex(12), "e": expires.timestamp()})


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _bad_code() -> issuer.OAuthError:
    return issuer.OAuthError("invalid_grant", "the authorization code is invalid, expired or already used")


def authorization_code_grant(ctx: AppContext, session: Session, code: str, redirect_uri: str, client_id: str,
                             verifier: str) -> issuer.Grant:
    if not code or not verifier:
        raise issuer.OAuthError("invalid_request", "code and code_verifier are required")
    try:
        claims = _signer(ctx).unsign(code, param="code")
    except InvalidArgument:
        raise _bad_code() from None
    if claims.get("e", 0) < ctx.clock.now().timestamp():
        raise _bad_code()
    if claims.get("r") != redirect_uri or (client_id and claims.get("c") != client_id):
        raise issuer.OAuthError("invalid_grant", "redirect_uri or client_id differ from the authorization request")
    if not hmac.compare_digest(s256(verifier), str(claims.get("p", ""))):
        raise issuer.OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    family = "code-" + str(claims.get("n"))
    if session.scalar(select(RefreshToken.token_hash).where(RefreshToken.family == family).limit(1)):
        for row in session.scalars(select(RefreshToken).where(RefreshToken.family == family)):
            row.revoked_time = ctx.clock.now()
        session.commit()  # keep the revocation: the error below rolls back the rest
        raise _bad_code()
    user = session.get(User, claims.get("u"))
    if user is None or user.disabled:
        raise issuer.OAuthError("invalid_grant", "the code's user is disabled")
    return issuer.grant_for_user(ctx, session, user, str(claims.get("c")), family=family)
