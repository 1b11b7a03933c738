"""Authentication of a bearer token, for every transport (REST, gRPC, the admin API).

Verified principals are cached per token, so a request with a known token skips the signature
check, the user and group lookup, and (on SQLite) the thread hop.

Staleness is ruled out by ``auth_generation``: a one-row counter that database triggers bump
whenever a user is disabled or changed, a membership or group changes, or a refresh token or
service client is revoked (identity_0003). Each request reads it (one primary-key read) and a
cached entry counts only if it was made under the current value, so every replica sees a
change on its next request. An entry also lapses after ``TTL`` seconds and at the token's
``exp`` (by the server's clock). Without the counter row nothing is cached.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache

from openqcs.context import AppContext
from openqcs.db.engine import Database
from openqcs.db.generations import AsyncCounters, GenerationReader
from openqcs.errors import Unauthenticated
from openqcs.identity.principal import Principal, principal_from_claims

TTL = 60.0
SIZE = 10_000
GENERATION_SQL = "SELECT value FROM auth_generation WHERE id = 1"


class PrincipalCache:
    def __init__(self, size: int = SIZE, ttl: float = TTL) -> None:
        self._entries: TTLCache[str, tuple[int, float, Principal]] = TTLCache(size, ttl)
        self._generation: int | None = None
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def get(self, token: str, generation: int | None, now: float) -> Principal | None:
        with self._lock:
            if generation is None:  # the counter is gone (state reset): trust nothing kept
                self._entries.clear()
                self._generation = None
                return None
            if generation != self._generation:
                # Forget everything older: a state import may bring an old value back.
                self._entries.clear()
                self._generation = generation
            hit = self._entries.get(token)
        if hit is None or hit[0] != generation or hit[1] <= now:
            return None  # the full path decides (and says "expired" when it is)
        return hit[2]

    def peek(self, token: str, now: float) -> Principal | None:
        """Who ``token`` was verified as, whatever changed since: enough to name the caller
        (rate limits), never to authorize."""
        with self._lock:
            hit = self._entries.get(token)
        return hit[2] if hit is not None and hit[1] > now else None

    def put(self, token: str, generation: int | None, expires: float, principal: Principal) -> None:
        if generation is None:
            return
        with self._lock:
            self._entries[token] = (generation, expires, principal)


class Authority:
    """What one process keeps for authentication: the cache and the counter reader."""

    def __init__(self, db: Database) -> None:
        self.cache = PrincipalCache()
        self.generations = GenerationReader(db, "auth_generation")
        # PostgreSQL: the async paths read both counters at once without a thread hop.
        self.counters = None if db.is_sqlite else AsyncCounters(db)


def authority(ctx: AppContext) -> Authority:
    found: Authority | None = vars(ctx).get("_authority")
    if found is None:
        found = vars(ctx).setdefault("_authority", Authority(ctx.db))
    return found


def bearer_token(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization header must be 'Bearer <token>'")
    return token.strip()


def known_principal(ctx: AppContext, header: str | None, generation: int | None) -> Principal | None:
    """Who an ``Authorization`` header's token was verified as, if that holds under
    ``generation`` (the auth counter, just read); None without a header, for a malformed one or a
    token not in the cache (then ``authenticate`` decides). The fast paths' one lookup."""
    try:
        token = bearer_token(header)
    except Unauthenticated:
        return None
    return authority(ctx).cache.get(token, generation, ctx.clock.now().timestamp()) if token else None


async def cached_caller(ctx: AppContext, header: str | None) -> tuple[Principal, int] | None:
    """``known_principal`` under the auth generation read on the event loop (SQLite: a local
    read; PostgreSQL: one async round trip), with that generation; None: verify the full way."""
    if header is None:
        return None
    auth = authority(ctx)
    generation = auth.generations.read() if auth.counters is None else (await auth.counters.read())[0]
    principal = known_principal(ctx, header, generation)
    return None if principal is None or generation is None else (principal, generation)


def authenticate(ctx: AppContext, header: str | None) -> Principal | None:
    """The caller behind an ``Authorization`` header (None without one); Unauthenticated otherwise."""
    return verify(ctx, header)[0]


def verify(ctx: AppContext, header: str | None) -> tuple[Principal | None, int | None]:
    """``authenticate``, with the auth generation it was checked under (None: not known)."""
    token = bearer_token(header)
    if token is None:
        return None, None
    auth = authority(ctx)
    # Read the generation before the lookup: a change committed in between then shows up as a
    # newer generation on the next request, and this entry is never used.
    generation = auth.generations.read()
    hit = auth.cache.get(token, generation, ctx.clock.now().timestamp())
    if hit is not None:
        return hit, generation
    claims = ctx.tokens.verify(token)
    with ctx.db.session() as session:
        principal = principal_from_claims(session, claims, ctx.settings, ctx.clock)
    auth.cache.put(token, generation, float(claims["exp"]), principal)
    return principal, generation
