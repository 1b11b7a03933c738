"""A booking's write transaction on a pooled driver connection, Core statements compiled once.

Through SQLAlchemy's execution layer each statement costs ~100 µs of CPU here, several times
the SQL itself (bench/reservations_bench.py): a booking is four statements, so it runs them on
the driver's cursor instead. The statements stay Core objects (tables, types, RETURNING per
dialect); each is compiled once per dialect, and its values go through the column types' own
bind processors, so what is stored is what the ORM would store.

Driver errors are re-raised as SQLAlchemy's (``IntegrityError``, ``OperationalError`` …), which
the callers and the HTTP layer already handle.
"""

from __future__ import annotations

import functools
import operator
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Dialect, Insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

from openqcs.db.base import UTCDateTime
from openqcs.db.engine import Database

Processor = Callable[[Any], Any]


class Compiled(NamedTuple):
    sql: str
    plain: tuple[str, ...]  # binds the caller gives, passed as they are
    processed: tuple[tuple[str, Processor], ...]  # binds the caller gives, through their type's processor
    fixed: dict[str, Any]  # binds with a value of their own, processed already
    positional: Callable[[dict[str, Any]], tuple[Any, ...]] | None  # the values in the SQL's order


@functools.lru_cache(maxsize=64)  # keyed by statement objects: module constants, a few of them
def compiled(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]) -> Compiled:
    """``statement`` compiled for the dialect. ``keys``: the values an INSERT is given (all of its
    columns: no Python-side defaults). Binds with a value of their own (``LIMIT 1``) keep it."""
    done = statement.compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(done, SQLCompiler)
    plain, processed, fixed = [], [], {}
    for name, bind in done.binds.items():
        fn = _processor(bind.type, dialect)
        if not bind.required:
            value = bind.effective_value
            fixed[name] = fn(value) if fn is not None else value
        elif fn is None:
            plain.append(name)
        else:
            processed.append((name, fn))
    order = tuple(done.positiontup) if done.positional and done.positiontup else None
    positional: Callable[[dict[str, Any]], tuple[Any, ...]] | None = None
    if order is not None:
        pick = operator.itemgetter(*order)
        positional = pick if len(order) > 1 else (lambda values: (pick(values),))
    return Compiled(done.string, tuple(plain), tuple(processed), fixed, positional)


def _processor(kind: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    if type(kind) is UTCDateTime:  # no parameters: one processor serves every such column
        return sqlite_utc if dialect.name == "sqlite" else _utc_processor(dialect)
    found: Processor | None = kind.dialect_impl(dialect).bind_processor(dialect)
    return found


def sqlite_utc(value: datetime | None) -> str | None:
    """What ``UTCDateTime`` stores on SQLite (naive UTC, SQLAlchemy's ``YYYY-MM-DD
    HH:MM:SS.ffffff``), in one ``isoformat`` instead of the type's two steps and %-format."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@functools.lru_cache(maxsize=8)
def _utc_processor(dialect: Dialect) -> Processor | None:
    return UTCDateTime().dialect_impl(dialect).bind_processor(dialect)


class Transaction:
    """Statements of one transaction on a driver cursor."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect
        # Processed datetimes (immutable) by (processor, the value's id): one transaction passes
        # the same times (its ``now``, the slot) to several columns and statements, and
        # formatting costs (~5 us each on SQLite).
        self._done: dict[tuple[Processor, int], tuple[Any, Any]] = {}

    def run(self, statement: ClauseElement, params: Mapping[str, Any]) -> None:
        keys = tuple(params) if isinstance(statement, Insert) else ()
        plan = compiled(statement, self.dialect, keys)
        values = {name: params[name] for name in plan.plain}
        done = self._done
        for name, fn in plan.processed:
            value = params[name]
            if type(value) is not datetime:
                values[name] = fn(value)
                continue
            hit = done.get((fn, id(value)))
            if hit is None or hit[0] is not value:
                hit = done[fn, id(value)] = (value, fn(value))  # keeps the value alive: its id stays its own
            values[name] = hit[1]
        if plan.fixed:
            values.update(plan.fixed)
        args = plan.positional(values) if plan.positional is not None else values
        try:
            self.cursor.execute(plan.sql, args)
        except self.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(plan.sql, args, exc, self.dialect.loaded_dbapi.Error) from exc

    def one(self, statement: ClauseElement, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of the statement's result (a SELECT, or RETURNING), or None."""
        self.run(statement, params)
        row = self.cursor.fetchone()
        return None if row is None else tuple(row)


@contextmanager
def write_transaction(db: Database) -> Iterator[Transaction]:
    """A transaction on a pooled connection: committed on success, rolled back on any error.

    On SQLite it starts with BEGIN IMMEDIATE (the write lock, as ``db.session(write=True)``), so
    writers serialize; on PostgreSQL the driver begins it at the first statement.
    """
    fairy = db.engine.raw_connection()
    dialect = db.engine.dialect
    driver: Any = fairy.driver_connection
    error = dialect.loaded_dbapi.Error
    try:
        cursor = driver.cursor()
        try:
            if db.is_sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            yield Transaction(cursor, dialect)
            driver.commit()
        except BaseException:
            driver.rollback()
            raise
        finally:
            cursor.close()
    except error as exc:  # BEGIN or COMMIT failed (locked, disconnected …)
        raise DBAPIError.instance(None, None, exc, error) from exc
    finally:
        fairy.close()


class Busy(Exception):
    """``nowait_transaction``: another writer holds SQLite's write lock (or this is not SQLite on
    a file): use ``write_transaction``, in a worker thread, instead."""


def _nowait_connection(db: Database) -> sqlite3.Connection:
    """This thread's own connection that never waits for the write lock, made by the pool (so
    it is set up as every pooled connection is, and the statement-count test sees it) and then
    detached from it."""
    local = vars(db).get("_nowait_writes")
    if local is None:
        local = vars(db).setdefault("_nowait_writes", threading.local())
    conn: sqlite3.Connection | None = getattr(local, "conn", None)
    if conn is None:
        fairy = db.engine.raw_connection()
        conn = fairy.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        fairy.detach()  # kept by this thread from now on, never returned to the pool
        conn.execute("PRAGMA busy_timeout=0")  # Busy at once instead of waiting
        local.fairy, local.conn = fairy, conn
    return conn


@contextmanager
def nowait_transaction(db: Database) -> Iterator[Transaction]:
    """SQLite: ``write_transaction`` if the write lock is free at once, else Busy. A booking is
    then ~100 µs of local file work that may run on the event loop, without a thread hop."""
    if not db.is_sqlite or db.engine.url.database in (None, "", ":memory:"):
        raise Busy
    conn = _nowait_connection(db)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
            raise Busy from None
        raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc
    cursor = conn.cursor()
    try:
        yield Transaction(cursor, db.engine.dialect)
        conn.commit()
    except sqlite3.Error as exc:  # COMMIT failed
        conn.rollback()
        raise DBAPIError.instance(None, None, exc, sqlite3.Error) from exc
    except BaseException:
        conn.rollback()
        raise
    finally:
        cursor.close()
