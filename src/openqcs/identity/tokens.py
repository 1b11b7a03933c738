"""Access tokens: the embedded issuer's RS256 keys, issuing, and verification.

Verification checks signature (by ``kid``), ``exp``, ``iss`` and ``aud`` and refuses
``alg: none`` and HMAC algorithms (so a public key can never be used as an HMAC secret).
Verified tokens are cached (bounded, never past ``exp``): RSA verification is the largest
per-request cost of the server.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from cachetools import TLRUCache
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from openqcs.config import Settings
from openqcs.db.clock import Clock
from openqcs.db.engine import Database
from openqcs.errors import Unauthenticated
from openqcs.identity.models import SigningKey

AUDIENCE = "api://qcs"
ALGORITHMS = ["RS256"]


def new_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def ensure_signing_key(session: Session, clock: Clock) -> SigningKey:
    """The newest active key, generated on first start."""
    key = session.scalar(
        select(SigningKey).where(SigningKey.retired_time.is_(None)).order_by(SigningKey.created_time.desc())
    )
    if key is None:
        key = SigningKey(kid=secrets.token_hex(8), private_pem=new_private_pem(), created_time=clock.now())
        session.add(key)
        session.flush()
    return key


def rotate_signing_key(session: Session, clock: Clock) -> SigningKey:
    """Retire the active keys and make a new one; retired keys still verify until their tokens expire."""
    now = clock.now()
    for key in session.scalars(select(SigningKey).where(SigningKey.retired_time.is_(None))):
        key.retired_time = now
    key = SigningKey(kid=secrets.token_hex(8), private_pem=new_private_pem(), created_time=now)
    session.add(key)
    session.flush()
    return key


def _verified_cache() -> TLRUCache[str, tuple[float, dict[str, Any]]]:
    """Verified claims by token, each kept until its own expiry (``(expires, claims)`` values)."""
    return TLRUCache(maxsize=10_000, ttu=lambda _token, value, _now: value[0], timer=time.time)


@lru_cache(maxsize=8)
def _private_key(pem: str) -> Any:
    # Parsing the PEM costs ~50 ms of CPU: do it once per key, not once per token.
    return serialization.load_pem_private_key(pem.encode(), None)


@lru_cache(maxsize=8)
def _verifying_key(pem: str) -> Any:
    # Verification reads only the public numbers; the check of the private ones (all of those
    # ~50 ms, paid at the first token a process verifies) matters to signing: _private_key.
    return serialization.load_pem_private_key(pem.encode(), None, unsafe_skip_rsa_key_validation=True).public_key()


class TokenService:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.external = bool(settings.oidc_issuer)
        self.issuer = settings.issuer
        self.audience = settings.oidc_audience if self.external else AUDIENCE
        self._public: dict[str, Any] = {}
        self._cache = _verified_cache()
        self._cache_lock = threading.Lock()  # cachetools caches are not thread-safe
        self._jwks_client = jwt.PyJWKClient(self._jwks_url()) if self.external else None

    def _jwks_url(self) -> str:
        return self.settings.oidc_jwks_url or self.settings.oidc_issuer.rstrip("/") + "/v1/keys"

    # -- embedded issuer -------------------------------------------------------------

    def _load_keys(self) -> None:
        horizon = self.clock.now() - timedelta(seconds=self.settings.access_token_ttl + 60)
        with self.db.session() as session:
            rows = session.scalars(select(SigningKey)).all()
        self._public = {
            k.kid: _verifying_key(k.private_pem)
            for k in rows
            if k.retired_time is None or k.retired_time > horizon
        }

    def issue_access_token(self, *, subject: str, uid: str, groups: list[str], ttl: int | None = None,
                           extra: dict[str, Any] | None = None) -> tuple[str, datetime]:
        if self.external:
            raise RuntimeError("the embedded issuer is off while an external OIDC issuer is configured")
        with self.db.session(write=True) as session:
            key = ensure_signing_key(session, self.clock)
            kid, pem = key.kid, key.private_pem
        now = self.clock.now()
        expires = now + timedelta(seconds=ttl or self.settings.access_token_ttl)
        claims = {
            "sub": subject, "uid": uid, "groups": groups, "iss": self.issuer, "aud": AUDIENCE,
            "iat": int(now.timestamp()), "exp": int(expires.timestamp()), "jti": secrets.token_hex(8),
            **(extra or {}),
        }
        return jwt.encode(claims, _private_key(pem), algorithm="RS256", headers={"kid": kid}), expires

    def jwks(self) -> dict[str, Any]:
        self._load_keys()
        keys = []
        for kid, public in self._public.items():
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    # -- verification ----------------------------------------------------------------

    def _public_key(self, token: str, kid: str | None) -> Any:
        if self._jwks_client is not None:
            try:
                return self._jwks_client.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientError as exc:
                raise Unauthenticated(f"cannot find the token's signing key: {exc}") from None
        if kid not in self._public:
            self._load_keys()  # another replica may have rotated
        if kid not in self._public:
            raise Unauthenticated("token signed by an unknown key")
        return self._public[kid]

    def verify(self, token: str) -> dict[str, Any]:
        with self._cache_lock:
            hit = self._cache.get(token)
        if hit is not None:
            cached: dict[str, Any] = hit[1]
            if cached["exp"] <= self.clock.now().timestamp():
                raise Unauthenticated("token has expired")
            return cached
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("malformed bearer token") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated(f"token algorithm {header.get('alg')!r} is not accepted")
        key = self._public_key(token, header.get("kid"))
        try:
            claims = jwt.decode(
                token, key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                # Times are checked against our clock (injectable), not the wall clock.
                options={"require": ["exp", "iss", "aud"], "verify_exp": False, "verify_iat": False,
                         "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from None
        if claims["exp"] <= self.clock.now().timestamp():
            raise Unauthenticated("token has expired")
        with self._cache_lock:
            self._cache[token] = (min(claims["exp"], time.time() + 3600), claims)
        return claims
