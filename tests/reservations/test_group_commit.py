"""reservations.group_commit on real databases: works submitted together share one transaction, a
work that raises loses only its own writes, and a group that does not commit (SQLite's write lock
taken, a failed COMMIT) stores nothing and says so to every work. PostgreSQL's groups run in
the writer thread, not on the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from openqcs.db.engine import Database
from openqcs.reservations.group_commit import GroupCommit
from openqcs.reservations.prepared import Busy
from tests.support.databases import database


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    with database(request.param, str(tmp_path)) as url:
        database_ = Database(url)
        with database_.engine.begin() as conn:
            if database_.is_sqlite:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            conn.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            conn.exec_driver_sql("CREATE TABLE item (name TEXT PRIMARY KEY, parent INTEGER "
                                 "REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
        yield database_
        database_.dispose()


def _stored(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [name for (name,) in conn.exec_driver_sql("SELECT name FROM item ORDER BY name")]


def _insert(name: str, parent: int | None = None, fail: bool = False):
    def work(tx, first):
        tx.cursor.execute("INSERT INTO item VALUES (?, ?)" if tx.dialect.name == "sqlite"
                          else "INSERT INTO item VALUES (%s, %s)", (name, parent))
        if fail:
            raise ValueError(name)
        return (name, first)
    return work


def _in_one_turn(group: GroupCommit, works, keys=None) -> list:
    async def main():
        return await asyncio.gather(*[group.submit(work, key)
                                      for work, key in zip(works, keys or [None] * len(works), strict=True)])
    return asyncio.run(main())


def test_works_submitted_together_share_a_transaction(db):
    preludes = []
    group = GroupCommit(db, lambda tx, keys: preludes.append(keys) or len(preludes))
    outcomes = _in_one_turn(group, [_insert("a"), _insert("b"), _insert("c")], keys=["p", "q", "p"])
    assert preludes == [["p", "q", "p"]]  # one transaction for the three, told their keys
    assert outcomes == [(("a", 1), None), (("b", 1), None), (("c", 1), None)]
    assert _stored(db) == ["a", "b", "c"]


def test_a_work_that_fails_loses_only_its_own_writes(db):
    preludes = []
    group = GroupCommit(db, lambda tx, keys: preludes.append(keys) or len(preludes))
    outcomes = _in_one_turn(group, [_insert("a"), _insert("b", fail=True), _insert("c")])
    assert len(preludes) == 2  # rolled back, then run again with a savepoint each
    assert outcomes[0] == (("a", 2), None) and outcomes[2] == (("c", 2), None)
    result, error = outcomes[1]
    assert result is None and isinstance(error, ValueError)
    assert _stored(db) == ["a", "c"]


def test_a_later_work_sees_the_earlier_ones_writes(db):
    group = GroupCommit(db, lambda tx, keys: None)
    outcomes = _in_one_turn(group, [_insert("a"), _insert("a"), _insert("b")])  # the second breaks the key
    assert outcomes[0] == (("a", None), None) and outcomes[2] == (("b", None), None)
    assert outcomes[1][0] is None and "unique" in str(outcomes[1][1]).lower()
    assert _stored(db) == ["a", "b"]


def test_a_lone_work_that_fails_is_rolled_back(db):
    group = GroupCommit(db, lambda tx, keys: None)
    [(result, error)] = _in_one_turn(group, [_insert("a", fail=True)])
    assert result is None and isinstance(error, ValueError)
    assert _stored(db) == []


def test_a_failed_commit_fails_every_work_of_the_group(db):
    group = GroupCommit(db, lambda tx, keys: None)
    # The second work's row names a parent that does not exist: the deferred key fails the COMMIT.
    outcomes = _in_one_turn(group, [_insert("a"), _insert("b", parent=7)])
    assert [result for result, _ in outcomes] == [None, None]
    assert all("foreign key" in str(error).lower() for _, error in outcomes)
    assert _stored(db) == []
    # The connection is usable again afterwards.
    assert _in_one_turn(group, [_insert("c")]) == [(("c", None), None)]
    assert _stored(db) == ["c"]


def test_groups_are_at_most_the_limit(db):
    sizes = []
    group = GroupCommit(db, lambda tx, keys: sizes.append(len(keys)), limit=2)
    outcomes = _in_one_turn(group, [_insert(name) for name in "abcde"])
    assert [error for _, error in outcomes] == [None] * 5
    assert sizes == [2, 2, 1]
    assert _stored(db) == list("abcde")


def test_where_a_group_runs(db):
    threads = []
    group = GroupCommit(db, lambda tx, keys: threads.append(threading.current_thread()))

    async def main():
        await group.submit(_insert("a"))
        return threading.current_thread()

    loop_thread = asyncio.run(main())
    # SQLite: on the loop (a local file). PostgreSQL: in the writer thread, off the loop.
    assert (threads == [loop_thread]) if db.is_sqlite else (threads[0] is not loop_thread)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the write lock is SQLite's
def test_with_the_write_lock_taken_every_work_hears_busy_and_nothing_is_stored(db):
    group = GroupCommit(db, lambda tx, keys: None)
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        outcomes = _in_one_turn(group, [_insert("a"), _insert("b")])
    finally:
        holder.rollback()
        holder.close()
    assert [result for result, _ in outcomes] == [None, None]
    assert all(isinstance(error, Busy) for _, error in outcomes)
    assert _stored(db) == []
