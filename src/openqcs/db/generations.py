"""Reading a one-row change counter (``auth_generation``, ``processor_generation``) cheaply.

Database triggers bump these counters; every replica reads them per request to learn whether
what it keeps in memory is still current. On SQLite the read uses a per-thread autocommit
connection outside the pool (a bare SELECT: no checkout, no BEGIN); on PostgreSQL a pooled
connection in autocommit (one round trip).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc, text

from openqcs.db.engine import Database

if TYPE_CHECKING:
    from psycopg import AsyncConnection

Row = tuple[Any, ...]


class LocalSqlite:
    """One autocommit sqlite3 connection per thread on the database file, outside the pool,
    for single-statement reads on hot paths (each statement sees the latest commit)."""

    def __init__(self, db: Database) -> None:
        path = db.engine.url.database if db.is_sqlite else None
        self.path = path if path and path != ":memory:" else None
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            assert self.path is not None, "an SQLite file database"
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._local.conn = conn
        return conn


def local_sqlite(db: Database) -> LocalSqlite:
    found: LocalSqlite | None = vars(db).get("_local_sqlite")
    if found is None:
        found = vars(db).setdefault("_local_sqlite", LocalSqlite(db))
    return found


_healing: set[tuple[int, str]] = set()
_healing_lock = threading.Lock()


def restore_row(db: Database, table: str) -> None:
    """Put a missing counter row back (a state reset or import wipes it), in a thread of its own:
    a write must not wait on the caller's event loop. It starts from the time in microseconds,
    a value no replica can have cached under before the wipe."""
    key = (id(db), table)
    with _healing_lock:
        if key in _healing:
            return
        _healing.add(key)

    def run() -> None:
        try:
            with db.session(write=True) as session:
                session.execute(text(f"INSERT INTO {table} (id, value) VALUES (1, :value) "
                                     "ON CONFLICT (id) DO NOTHING"), {"value": time.time_ns() // 1000})
        except exc.SQLAlchemyError:
            pass  # not migrated: nothing to restore
        finally:
            with _healing_lock:
                _healing.discard(key)

    threading.Thread(target=run, name=f"restore-{table}", daemon=True).start()


class GenerationReader:
    def __init__(self, db: Database, table: str) -> None:
        self.db = db
        self.table = table
        self.sql = f"SELECT value FROM {table} WHERE id = 1"
        self._local = local_sqlite(db)
        self._sqlite_path = self._local.path

    def read(self) -> int | None:
        """The counter, or None when it cannot be read (not migrated, or state reset): then
        callers must not trust, or fill, their caches."""
        try:
            if self._sqlite_path is not None:
                row = self._local.connection().execute(self.sql).fetchone()
            else:
                with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    row = conn.exec_driver_sql(self.sql).first()
        except (sqlite3.Error, exc.DBAPIError):
            return None
        if row is None:
            restore_row(self.db, self.table)
            return None
        return int(row[0])


BOTH_SQL = ("SELECT (SELECT value FROM auth_generation WHERE id = 1), "
            "(SELECT value FROM processor_generation WHERE id = 1)")


def sqlite_counters(db: Database) -> tuple[int | None, int | None]:
    """SQLite: the (auth, processor) counters in one read on this thread's local connection
    (one read transaction instead of two); None for one that cannot be read."""
    try:
        row = local_sqlite(db).connection().execute(BOTH_SQL).fetchone()
    except sqlite3.Error:
        return None, None
    for value, table in zip(row, ("auth_generation", "processor_generation"), strict=True):
        if value is None:
            restore_row(db, table)
    return row[0], row[1]


class AsyncCounters:
    """PostgreSQL: both counters in one round trip on the event loop, over one autocommit
    connection of its own (no pool checkout, no thread hop). Requests take turns on it."""

    SQL = BOTH_SQL

    def __init__(self, db: Database) -> None:
        self.db = db
        url = db.engine.url.set(drivername="postgresql")
        self.url = url.render_as_string(hide_password=False)
        self._conn: AsyncConnection[Row] | None = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = 0  # reads begun
        self._last: tuple[int, tuple[int | None, int | None]] = (0, (None, None))  # (its number, result)

    async def read(self) -> tuple[int | None, int | None]:
        """(auth, processor) generations as of some moment after the call began; (None, None)
        when they cannot be read.

        Callers queue on one connection; those that arrived while a read was running share the
        next one, which starts after all of them arrived: correct for each, one round trip for all.
        """
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:  # the connection belongs to one loop
            self._lock, self._loop, self._conn = asyncio.Lock(), loop, None
            self._started, self._last = 0, (0, (None, None))
        ticket = self._started
        async with self._lock:
            if self._last[0] > ticket:  # began after this caller arrived
                return self._last[1]
            self._started += 1
            seq = self._started
            found = await self._query()
            self._last = (seq, found)
            return found

    async def _query(self) -> tuple[int | None, int | None]:
        import psycopg

        for _attempt in range(2):  # a dropped connection is reopened once
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
                cursor = await self._conn.execute(self.SQL)
                row = await cursor.fetchone()
                assert row is not None  # a SELECT without FROM has one row
                for value, table in zip(row, ("auth_generation", "processor_generation"), strict=True):
                    if value is None:
                        restore_row(self.db, table)
                return row[0], row[1]
            except psycopg.Error:
                await self._close()
        return None, None

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                pass
