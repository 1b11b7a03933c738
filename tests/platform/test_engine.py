"""Pooled connections: SQLite keeps enough for every worker thread; PostgreSQL replaces a
connection that died while idle before a request uses it, without pinging busy ones."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
from sqlalchemy import event, text

from openqcs.db import engine as engine_module
from openqcs.db.engine import Database
from tests.support.databases import postgres_database


def test_sqlite_pool_opens_no_connection_per_request_at_thread_pool_concurrency(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'pool.db'}")
    opened: list[int] = []
    event.listen(db.engine, "connect", lambda *args: opened.append(1))

    def read(_: int) -> int:
        with db.session() as session:
            time.sleep(0.005)  # hold it, as a handler does, so 40 are out at once
            return session.scalar(text("SELECT 1"))

    try:
        with ThreadPoolExecutor(40) as pool:
            for _ in range(3):
                assert sum(pool.map(read, range(200))) == 200
        first_round = len(opened)
        with ThreadPoolExecutor(40) as pool:
            assert sum(pool.map(read, range(200))) == 200
        assert len(opened) == first_round  # kept, not reopened
    finally:
        db.dispose()


def test_postgres_connection_killed_while_idle_is_replaced_before_use(monkeypatch):
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.2)
    with postgres_database() as url:
        db = Database(url, pool_size=1, max_overflow=0)
        try:
            with db.session() as session:
                victim = session.scalar(text("SELECT pg_backend_pid()"))
            admin = url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", (victim,))
            time.sleep(0.3)
            with db.session() as session:  # no error: the dead connection was swapped at checkout
                assert session.scalar(text("SELECT pg_backend_pid()")) != victim
        finally:
            db.dispose()
