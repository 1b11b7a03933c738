"""Reading a one-row change counter (``auth_generation``, ``processor_generation``) cheaply.

Database triggers bump these counters; every replica reads them per request to learn whether
what it keeps in memory is still current. On SQLite the read uses a per-thread autocommit
connection outside the pool (a bare SELECT: no checkout, no BEGIN); on PostgreSQL a pooled
connection in autocommit (one round trip).
"""

from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import exc

from openqcs.db.engine import Database


class GenerationReader:
    def __init__(self, db: Database, table: str) -> None:
        self.db = db
        self.sql = f"SELECT value FROM {table} WHERE id = 1"
        self._local = threading.local()
        path = db.engine.url.database if db.is_sqlite else None
        self._sqlite_path = path if path and path != ":memory:" else None

    def read(self) -> int | None:
        """The counter, or None when it cannot be read (not migrated, or state reset): then
        callers must not trust, or fill, their caches."""
        try:
            if self._sqlite_path is not None:
                row = self._sqlite().execute(self.sql).fetchone()
            else:
                with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    row = conn.exec_driver_sql(self.sql).first()
        except (sqlite3.Error, exc.DBAPIError):
            return None
        return int(row[0]) if row else None

    def _sqlite(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._sqlite_path, isolation_level=None, check_same_thread=False, timeout=30)
            self._local.conn = conn
        return conn
