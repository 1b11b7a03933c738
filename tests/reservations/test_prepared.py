"""reservations.prepared binds what the ORM would store: on SQLite its own UTC datetime
formatter gives the very strings SQLAlchemy's UTCDateTime + DATETIME processors give (stored
times are compared as strings, so one character off would misorder them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from openqcs.db.base import UTCDateTime
from openqcs.reservations.prepared import sqlite_utc

_DIALECT = sqlite.dialect()
_ORM = UTCDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)

TIMES = [
    datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
    datetime(2026, 12, 1, 16, 0, 0, 1, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # the day before, in UTC
    datetime(2026, 3, 29, 1, 15, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),  # a year of three digits: still zero-padded
]


@pytest.mark.parametrize("at", TIMES, ids=str)
def test_sqlite_times_are_stored_as_the_orm_stores_them(at):
    assert sqlite_utc(at) == _ORM(at)


def test_none_and_naive_times_as_the_orm():
    assert sqlite_utc(None) is None and _ORM(None) is None
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc(datetime(2026, 12, 1, 16, 0))
    with pytest.raises(ValueError, match="naive"):
        _ORM(datetime(2026, 12, 1, 16, 0))
