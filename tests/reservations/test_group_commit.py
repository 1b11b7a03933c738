"""reservations.group_commit on a real SQLite file: works submitted in one turn of the loop share
one transaction, a work that raises loses only its own writes, and a group that does not commit
(the write lock taken, a failed COMMIT) stores nothing and says so to every work."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from openqcs.db.engine import Database
from openqcs.reservations.group_commit import GroupCommit
from openqcs.reservations.prepared import Busy


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "group.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE item (name TEXT PRIMARY KEY, parent INTEGER "
                     "REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def _stored(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [name for (name,) in conn.exec_driver_sql("SELECT name FROM item ORDER BY name")]


def _insert(name: str, parent: int | None = None, fail: bool = False):
    def work(tx, first):
        tx.cursor.execute("INSERT INTO item VALUES (?, ?)", (name, parent))
        if fail:
            raise ValueError(name)
        return (name, first)
    return work


def _in_one_turn(group: GroupCommit, works) -> list:
    async def main():
        return await asyncio.gather(*[group.submit(work) for work in works])
    return asyncio.run(main())


def test_works_of_one_turn_share_a_transaction_and_a_failure_loses_only_its_writes(db):
    preludes = []
    group = GroupCommit(db, lambda tx: preludes.append(1) or len(preludes))
    outcomes = _in_one_turn(group, [_insert("a"), _insert("b", fail=True), _insert("c")])
    assert preludes == [1]  # one transaction for the three
    assert outcomes[0] == (("a", 1), None) and outcomes[2] == (("c", 1), None)
    result, error = outcomes[1]
    assert result is None and isinstance(error, ValueError)
    assert _stored(db) == ["a", "c"]


def test_a_later_work_sees_the_earlier_ones_writes(db):
    group = GroupCommit(db, lambda tx: None)
    outcomes = _in_one_turn(group, [_insert("a"), _insert("a")])  # the second breaks the primary key
    assert outcomes[0] == (("a", None), None)
    assert outcomes[1][0] is None and "UNIQUE" in str(outcomes[1][1])
    assert _stored(db) == ["a"]


def test_a_lone_work_that_fails_is_rolled_back(db):
    group = GroupCommit(db, lambda tx: None)
    [(result, error)] = _in_one_turn(group, [_insert("a", fail=True)])
    assert result is None and isinstance(error, ValueError)
    assert _stored(db) == []


def test_with_the_write_lock_taken_every_work_hears_busy_and_nothing_is_stored(db, tmp_path):
    group = GroupCommit(db, lambda tx: None)
    holder = sqlite3.connect(tmp_path / "group.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        outcomes = _in_one_turn(group, [_insert("a"), _insert("b")])
    finally:
        holder.rollback()
        holder.close()
    assert [result for result, _ in outcomes] == [None, None]
    assert all(isinstance(error, Busy) for _, error in outcomes)
    assert _stored(db) == []


def test_a_failed_commit_fails_every_work_of_the_group(db):
    group = GroupCommit(db, lambda tx: None)
    # The second work's row names a parent that does not exist: the deferred key fails the COMMIT.
    outcomes = _in_one_turn(group, [_insert("a"), _insert("b", parent=7)])
    assert [result for result, _ in outcomes] == [None, None]
    assert all("FOREIGN KEY" in str(error) for _, error in outcomes)
    assert _stored(db) == []
    # The connection is usable again afterwards.
    assert _in_one_turn(group, [_insert("c")]) == [(("c", None), None)]
    assert _stored(db) == ["c"]


def test_groups_are_at_most_the_limit(db):
    sizes = []
    group = GroupCommit(db, lambda tx: sizes.append(0), limit=2)
    outcomes = _in_one_turn(group, [_insert(name) for name in "abcde"])
    assert [error for _, error in outcomes] == [None] * 5
    assert len(sizes) == 3  # 2 + 2 + 1
    assert _stored(db) == list("abcde")
