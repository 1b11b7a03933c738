"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection, QueuePool


def normalize_url(url: str) -> str:
    # Accept the plain forms users type; we ship psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# SQLite connections cost nothing to keep but ~300 µs to open: keep one per thread that can use
# one (anyio's 40 worker threads, the event loop, the services' threads), so none is opened and
# closed per request under load.
SQLITE_POOL_SIZE = 48
SQLITE_MAX_OVERFLOW = 16
# A PostgreSQL connection idle this long is pinged at checkout; busy ones are not (a ping per
# checkout is a round trip per request). A dead one is replaced before the request uses it.
IDLE_PING_SECONDS = 10.0


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 15) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_MAX_OVERFLOW)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=3600)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_conn.rollback()
        except Exception as exc:
            # The pool discards this connection and checks out another (SQLAlchemy retries).
            raise DisconnectionError(f"stale connection: {exc}") from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN, so we can ask for BEGIN IMMEDIATE:
        # writers then queue on the database lock instead of failing mid-transaction.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("sqlite_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """Owns the engine; hands out sessions with one transaction each."""

    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 15) -> None:
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(sqlite_write=True) if self.is_sqlite else self.engine
        self._write_factory = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error.

        ``write=True`` takes SQLite's write lock at BEGIN, which serializes writers and
        avoids upgrade deadlocks; on PostgreSQL it changes nothing.
        """
        with (self._write_factory if write else self._factory)() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
