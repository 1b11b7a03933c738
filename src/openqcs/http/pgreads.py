"""PostgreSQL: GetReservation's fast-path reads, batched over one connection on the event loop.

A pool checkout (psycopg_pool runs each through ``asyncio.wait_for``: a task per call) and a
round trip per request cost more CPU than the query. Here requests that arrive while a read
is running wait for the next one, which fetches all their rows at once (``id = ANY(...)``):
each caller still sees the database as of after it asked, and a burst costs one round trip.
"""

from __future__ import annotations

import asyncio
from typing import Any

from openqcs.context import AppContext
from openqcs.db.engine import Database
from openqcs.reservations.service import PG_BY_ID, reservation_from_pg_row

_ONE = "WHERE id = %s"
if not PG_BY_ID.endswith(_ONE):  # the batch form is the same statement over a list of ids
    raise RuntimeError(f"reservations.service.PG_BY_ID no longer ends with {_ONE!r}")
BY_IDS = PG_BY_ID[: -len(_ONE)] + "WHERE id = ANY(%s::bigint[])"

Row = tuple[Any, ...]
TIMEOUT = 5.0  # seconds; then the callers take the full path, which reports the outage


class ReservationReads:
    def __init__(self, db: Database) -> None:
        self.url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[int, list[asyncio.Future[Row | None]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def get(self, reservation_id: int) -> Row | None:
        """``PG_BY_ID``'s row, or None (also when the database cannot be reached: the caller
        takes the full path)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # the connection belongs to one loop
            self._loop, self._conn, self._waiting, self._reader = loop, None, {}, None
        waiter: asyncio.Future[Row | None] = loop.create_future()
        self._waiting.setdefault(reservation_id, []).append(waiter)
        if self._reader is None:
            self._reader = loop.create_task(self._read())
        return await waiter

    async def _read(self) -> None:
        batch: dict[int, list[asyncio.Future[Row | None]]] = {}
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                _answer(batch, await self._query(list(batch)))
                batch = {}
        finally:
            _answer(batch, {})  # cancelled mid-read: nobody is left waiting
            self._reader = None

    async def _query(self, ids: list[int]) -> dict[int, Row]:
        import psycopg

        for _attempt in range(2):  # a dropped connection is reopened once
            try:
                async with asyncio.timeout(TIMEOUT):  # a silent network must not hold every reader
                    if self._conn is None or self._conn.closed:
                        self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
                    cursor = await self._conn.execute(BY_IDS, (ids,))
                    rows = await cursor.fetchall()
                return {reservation_from_pg_row(row).id: row for row in rows}
            except (psycopg.Error, TimeoutError):
                await self._close()
            except Exception:  # whatever it is, the full path answers
                return {}
        return {}

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:  # already broken
                pass


def _answer(batch: dict[int, list[asyncio.Future[Row | None]]], rows: dict[int, Row]) -> None:
    for reservation_id, waiters in batch.items():
        for waiter in waiters:
            if not waiter.done():  # a caller that gave up has a cancelled future
                waiter.set_result(rows.get(reservation_id))


def reservation_reads(ctx: AppContext) -> ReservationReads:
    found: ReservationReads | None = vars(ctx).get("_reservation_reads")
    if found is None:
        found = vars(ctx).setdefault("_reservation_reads", ReservationReads(ctx.db))
    return found
