"""Writes made on the event loop in the same turn share one SQLite transaction (group commit).

A booking on the loop is ~5 short statements, and half of its cost is the transaction around
them: the read of the cache counters, BEGIN, and the COMMIT that writes the touched pages to
the WAL. Bookings that arrive together touch the same pages (the tables' right-hand leaves, the
account's row), so one COMMIT for all of them writes about as much as one booking's. Each work
runs in a savepoint of its own: one that raises is rolled back alone, and the others commit.

A work is first collected; the group runs at the loop's next turn, after the callbacks already
ready (the other requests that have arrived) have had their turn to add theirs. Nothing waits
for a timer, so a lone booking is not delayed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from openqcs.db.engine import Database
from openqcs.reservations.prepared import Transaction, nowait_transaction

T = TypeVar("T")
Work = Callable[[Transaction, Any], T]  # (the transaction, the prelude's result) -> outcome
Outcome = tuple[T | None, BaseException | None]


class GroupCommit(Generic[T]):
    """``await submit(work)``: ``(result, None)`` once committed, or ``(None, error)`` when the
    work raised (its savepoint rolled back) or the whole group did not commit (``Busy``: the
    write lock was taken; a failed COMMIT) — then nothing of it is stored.

    ``prelude(tx)`` runs once per group, first in its transaction (reads every work needs).
    """

    def __init__(self, db: Database, prelude: Callable[[Transaction], Any], *, limit: int = 32) -> None:
        self.db = db
        self.prelude = prelude
        self.limit = limit  # the loop is held for the whole group: keep it short
        self._pending: list[tuple[Work[T], asyncio.Future[Outcome[T]]]] = []

    def submit(self, work: Work[T]) -> asyncio.Future[Outcome[T]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome[T]] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._run_all)
        self._pending.append((work, future))
        return future

    def _run_all(self) -> None:
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), self.limit):
            self._run(pending[start:start + self.limit])

    def _run(self, group: list[tuple[Work[T], asyncio.Future[Outcome[T]]]]) -> None:
        outcomes: list[Outcome[T]] = []
        try:
            with nowait_transaction(self.db) as tx:
                first = self.prelude(tx)
                if len(group) == 1:  # no savepoint: an error rolls the transaction back
                    outcomes.append((group[0][0](tx, first), None))
                else:
                    outcomes = [_in_savepoint(tx, work, first) for work, _ in group]
        except BaseException as exc:  # not committed: every work's writes are gone
            if not isinstance(exc, Exception):
                raise
            outcomes = [(None, exc)] * len(group)
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if not future.done():  # (a request that went away cancelled its wait)
                future.set_result(outcome)


def _in_savepoint(tx: Transaction, work: Work[T], first: Any) -> Outcome[T]:
    cursor = tx.cursor
    cursor.execute("SAVEPOINT work")
    try:
        result = work(tx, first)
    except Exception as exc:
        cursor.execute("ROLLBACK TO work")  # a failure here fails the whole group
        cursor.execute("RELEASE work")
        return None, exc
    cursor.execute("RELEASE work")
    return result, None
