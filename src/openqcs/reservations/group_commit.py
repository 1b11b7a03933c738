"""Writes submitted on the event loop together share one transaction (group commit).

A booking is ~5 short statements, and much of its cost is the transaction around them: the read
of the cache counters, BEGIN, and the COMMIT (on SQLite it writes the touched pages to the WAL;
bookings that arrive together touch the same pages, so one COMMIT for all of them writes about
as much as one booking's). A work that raises (a refusal, an error) loses only its own writes:
the group is then run again with a savepoint for each work, and the others commit.

SQLite: the group runs on the loop at its next turn, after the callbacks already ready (the
other requests that have arrived) have had their turn to add theirs, in a transaction that never
waits for the write lock. Nothing waits for a timer, so a lone booking is not delayed.

PostgreSQL: the group runs in one writer thread of its own on a pooled connection, so each
statement's round trip does not hold the loop; works that arrive meanwhile form the next group.
One thread for all bookings instead of a worker thread each (16 of them contending for the GIL
cost ~3 ms of CPU per booking).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from openqcs.db.engine import Database
from openqcs.reservations.prepared import Transaction, nowait_transaction, write_transaction

T = TypeVar("T")
Work = Callable[[Transaction, Any], T]  # (the transaction, the prelude's result) -> outcome
Outcome = tuple[T | None, BaseException | None]
Item = tuple[Work[T], Hashable, asyncio.Future[Outcome[T]]]


class GroupCommit(Generic[T]):
    """``await submit(work, key)``: ``(result, None)`` once committed, or ``(None, error)`` when
    the work raised (its writes rolled back) or the whole group did not commit (``Busy``:
    SQLite's write lock was taken; a failed COMMIT; a lost connection) — then nothing of it is
    stored.

    ``prelude(tx, keys)`` runs once per group, first in its transaction, with the keys its works
    were submitted with (reads every work needs; locks to take in a fixed order).
    """

    def __init__(self, db: Database, prelude: Callable[[Transaction, list[Hashable]], Any], *,
                 limit: int = 32) -> None:
        self.db = db
        self.prelude = prelude
        self.limit = limit  # SQLite holds the loop for the whole group: keep it short
        self._pending: list[Item[T]] = []
        self._running = False  # a group is being run (PostgreSQL: in the writer thread)
        self._writer = None if db.is_sqlite else ThreadPoolExecutor(1, thread_name_prefix="openqcs-bookings")

    def submit(self, work: Work[T], key: Hashable = None) -> asyncio.Future[Outcome[T]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome[T]] = loop.create_future()
        self._pending.append((work, key, future))
        if not self._running:
            self._running = True
            loop.call_soon(self._next, loop)
        return future

    def _next(self, loop: asyncio.AbstractEventLoop) -> None:
        group, self._pending = self._pending[:self.limit], self._pending[self.limit:]
        if not group:
            self._running = False
        elif self._writer is None:
            self._finish(loop, group, self._run(group, nowait_transaction))
        else:
            self._writer.submit(self._in_writer, loop, group)

    def _in_writer(self, loop: asyncio.AbstractEventLoop, group: list[Item[T]]) -> None:
        outcomes = self._run(group, write_transaction)
        try:
            loop.call_soon_threadsafe(self._finish, loop, group, outcomes)
        except RuntimeError:  # the loop is closed: nobody waits; a later loop starts afresh
            self._pending, self._running = [], False

    def _finish(self, loop: asyncio.AbstractEventLoop, group: list[Item[T]], outcomes: list[Outcome[T]]) -> None:
        for (_, _, future), outcome in zip(group, outcomes, strict=True):
            if not future.done():  # (a request that went away cancelled its wait)
                future.set_result(outcome)
        self._next(loop)

    def _run(self, group: list[Item[T]],
             transaction: Callable[[Database], AbstractContextManager[Transaction]]) -> list[Outcome[T]]:
        # Most groups all succeed: first without savepoints (two statements fewer per work, two
        # round trips on PostgreSQL); if a work raises, the whole transaction rolls back and the
        # group runs again from scratch with a savepoint each. A lone work needs none.
        if len(group) > 1:
            outcomes = self._attempt(group, transaction, savepoints=False)
            if outcomes is not None:
                return outcomes
        return self._attempt(group, transaction, savepoints=len(group) > 1) or []

    def _attempt(self, group: list[Item[T]], transaction: Callable[[Database], AbstractContextManager[Transaction]],
                 *, savepoints: bool) -> list[Outcome[T]] | None:
        """The outcomes; None when, without savepoints, a work raised (all rolled back)."""
        raised = False
        try:
            with transaction(self.db) as tx:
                first = self.prelude(tx, [key for _, key, _ in group])
                if savepoints:
                    return [_in_savepoint(tx, work, first) for work, _, _ in group]
                results = []
                for work, _, _ in group:
                    try:
                        results.append(work(tx, first))
                    except Exception:
                        raised = True
                        raise
                return [(result, None) for result in results]
        except Exception as exc:
            if raised and len(group) > 1:
                return None
            return [(None, exc)] * len(group)  # not committed: every work's writes are gone


def _in_savepoint(tx: Transaction, work: Work[T], first: Any) -> Outcome[T]:
    cursor = tx.cursor
    cursor.execute("SAVEPOINT work")
    try:
        result = work(tx, first)
    except Exception as exc:
        cursor.execute("ROLLBACK TO SAVEPOINT work")  # a failure here fails the whole group
        cursor.execute("RELEASE SAVEPOINT work")
        return None, exc
    cursor.execute("RELEASE SAVEPOINT work")
    return result, None
