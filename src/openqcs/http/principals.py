"""Verified principals cached per token, so a request with a known token skips the signature
check, the user and group lookup, and (on SQLite) the thread hop.

Staleness is ruled out by ``auth_generation``: a one-row counter that database triggers bump
whenever a user is disabled or changed, a membership or group changes, or a refresh token or
service client is revoked (identity_0003). Each request reads it (one primary-key read) and a
cached entry counts only if it was made under the current value, so every replica sees a
change on its next request. An entry also lapses after ``TTL`` seconds and at the token's
``exp`` (by the server's clock). Without the counter row nothing is cached.
"""

from __future__ import annotations

import sqlite3
import threading

from cachetools import TTLCache
from sqlalchemy import exc

from openqcs.context import AppContext
from openqcs.db.engine import Database
from openqcs.identity.principal import Principal

TTL = 60.0
SIZE = 10_000
GENERATION_SQL = "SELECT value FROM auth_generation WHERE id = 1"


class GenerationReader:
    """Reads the counter as cheaply as each database allows."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._local = threading.local()
        path = db.engine.url.database if db.is_sqlite else None
        self._sqlite_path = path if path and path != ":memory:" else None

    def read(self) -> int | None:
        try:
            if self._sqlite_path is not None:
                row = self._sqlite().execute(GENERATION_SQL).fetchone()
            else:
                with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    row = conn.exec_driver_sql(GENERATION_SQL).first()
        except (sqlite3.Error, exc.DBAPIError):
            return None  # no counter (not migrated, or state reset): do not cache
        return int(row[0]) if row else None

    def _sqlite(self) -> sqlite3.Connection:
        # One autocommit connection per thread, outside the pool: a bare SELECT, no BEGIN, no checkout.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._sqlite_path, isolation_level=None, check_same_thread=False, timeout=30)
            self._local.conn = conn
        return conn


class PrincipalCache:
    def __init__(self, size: int = SIZE, ttl: float = TTL) -> None:
        self._entries: TTLCache[str, tuple[int, float, Principal]] = TTLCache(size, ttl)
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def get(self, token: str, generation: int | None, now: float) -> Principal | None:
        if generation is None:
            return None
        with self._lock:
            hit = self._entries.get(token)
        if hit is None or hit[0] != generation or hit[1] <= now:
            return None  # the full path decides (and says "expired" when it is)
        return hit[2]

    def put(self, token: str, generation: int | None, expires: float, principal: Principal) -> None:
        if generation is None:
            return
        with self._lock:
            self._entries[token] = (generation, expires, principal)


class Authority:
    """What one process keeps for authentication: the cache and the counter reader."""

    def __init__(self, db: Database) -> None:
        self.cache = PrincipalCache()
        self.generations = GenerationReader(db)


def authority(ctx: AppContext) -> Authority:
    found = vars(ctx).get("_authority")
    if found is None:
        found = vars(ctx).setdefault("_authority", Authority(ctx.db))
    return found
