"""The embedded OAuth2 issuer's grants: refresh_token, password, client_credentials (and
authorization_code, in ``authorize.py``).

Refresh tokens are random secrets stored as SHA-256 digests. Each refresh answers a new access
token *and* a new refresh token of the same family (pyquil's SDK requires both). The presented
token is not invalidated by the refresh: qcs-sdk 0.21 (pyquil) never writes the rotated token
back and a failed refresh hangs it for good (client-compat §2.2, §2.5). Revocation (disable,
password reset, ``revoke``) ends every token of the user.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openqcs.context import AppContext
from openqcs.identity.models import RefreshToken, ServiceClient, User
from openqcs.identity.passwords import digest, hash_password, new_secret, verify_password
from openqcs.identity.principal import group_names
from openqcs.identity.service import user_by_email

SCOPES = ["openid", "profile", "email", "offline_access"]


class OAuthError(Exception):
    """RFC 6749 §5.2 error: ``error`` code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Grant:
    """Who gets tokens, decided inside a DB transaction; the access token is signed after it
    commits (signing takes its own write session, which SQLite would queue behind ours)."""

    email: str
    uid: str
    groups: list[str]
    refresh_token: str | None


def sign(ctx: AppContext, grant: Grant, ttl: int | None = None) -> dict[str, Any]:
    """The token endpoint's JSON body for ``grant``."""
    token, expires = ctx.tokens.issue_access_token(subject=grant.email, uid=grant.uid, groups=grant.groups, ttl=ttl)
    body: dict[str, Any] = {"access_token": token, "token_type": "Bearer",
                            "expires_in": int((expires - ctx.clock.now()).total_seconds()),
                            "scope": " ".join(SCOPES)}
    if grant.refresh_token:
        body["refresh_token"] = grant.refresh_token
    return body


def discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/v1/authorize",
        "token_endpoint": f"{issuer}/v1/token",
        "jwks_uri": f"{issuer}/v1/keys",
        "revocation_endpoint": f"{issuer}/v1/revoke",
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "password", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
    }


def _new_refresh(session: Session, ctx: AppContext, user: User, client_id: str, family: str | None = None) -> str:
    secret = new_secret()
    now = ctx.clock.now()
    session.add(RefreshToken(token_hash=digest(secret), family=family or secrets.token_hex(16), user_id=user.id,
                             client_id=client_id[:200], created_time=now,
                             expires_time=now + timedelta(seconds=ctx.settings.refresh_token_ttl)))
    return secret


def _grant(session: Session, user: User, refresh_token: str | None) -> Grant:
    return Grant(user.email, user.idp_id, sorted(group_names(session, user.id)), refresh_token)


def grant_for_user(ctx: AppContext, session: Session, user: User, client_id: str = "openqcs",
                   family: str | None = None) -> Grant:
    """Access and refresh token for ``user`` (CLI ``token issue``, ``client-config``, password and
    authorization-code grants)."""
    return _grant(session, user, _new_refresh(session, ctx, user, client_id, family))


def refresh_grant(ctx: AppContext, session: Session, refresh_token: str, client_id: str) -> Grant:
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required")
    row = session.get(RefreshToken, digest(refresh_token))
    now = ctx.clock.now()
    if row is None or row.revoked_time is not None or row.expires_time <= now:
        raise OAuthError("invalid_grant", "the refresh token is unknown, revoked or expired")
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        raise OAuthError("invalid_grant", "the refresh token's user is disabled")
    return _grant(session, user, _new_refresh(session, ctx, user, client_id or row.client_id, row.family))


def password_grant(ctx: AppContext, session: Session, username: str, password: str, client_id: str) -> Grant:
    if not username or not password:
        raise OAuthError("invalid_request", "username and password are required")
    user = user_by_email(session, username)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        # An invited user has no password until activation; say so to everyone, naming no one.
        raise OAuthError("invalid_grant", "wrong username or password (a newly invited user first activates "
                                          "with the token from the activation mail, which sets the password)")
    # Only a caller who knows the password learns the account's state.
    if user.disabled:
        raise OAuthError("invalid_grant", "this user is disabled: ask an administrator")
    if not user.activated:
        raise OAuthError("invalid_grant", "this user is not activated yet: activate it with the token from the "
                                          "activation mail (auth:activateUser), then log in")
    return grant_for_user(ctx, session, user, client_id or "openqcs")


def client_credentials_grant(ctx: AppContext, session: Session, client_id: str, client_secret: str) -> Grant:
    row = session.get(ServiceClient, client_id) if client_id else None
    ok = verify_password(row.secret_hash if row else None, client_secret or "")
    user = session.get(User, row.user_id) if row else None
    if not ok or row is None or row.revoked_time is not None or user is None or user.disabled:
        raise OAuthError("invalid_client", "client authentication failed", 401)
    return _grant(session, user, None)


def create_service_client(session: Session, ctx: AppContext, user: User) -> tuple[str, str]:
    """New client_credentials for ``user``: (client_id, client_secret); the secret is shown once."""
    client_id = "sa-" + secrets.token_hex(8)
    secret = new_secret()
    session.add(ServiceClient(client_id=client_id, secret_hash=hash_password(secret), user_id=user.id,
                              created_time=ctx.clock.now()))
    return client_id, secret


def revoke_refresh_token(session: Session, ctx: AppContext, refresh_token: str) -> None:
    """RFC 7009: revokes the token's family; unknown tokens are not an error."""
    row = session.get(RefreshToken, digest(refresh_token or ""))
    if row is None:
        return
    for token in session.scalars(select(RefreshToken).where(RefreshToken.family == row.family,
                                                            RefreshToken.revoked_time.is_(None))):
        token.revoked_time = ctx.clock.now()
