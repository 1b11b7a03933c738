"""Reservation rates and job usage prices kept in memory, so a booking, a FindAvailable page or a
job's usage is priced without queries.

Entries are made under the current ``price_generation`` (bumped by triggers on any change to
the price tables) and count only while it stays the same: a price set on any replica is seen
on the next request everywhere. The counter is read first and the entry stored under that
value, so a change committed meanwhile shows up as a newer generation and is not missed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from cachetools import LRUCache
from sqlalchemy.orm import Session

from openqcs.billing.service import EventPriceInfo, ReservationRate, reservation_rate
from openqcs.billing.usage import usage_prices
from openqcs.db.engine import Database
from openqcs.db.generations import GenerationReader

SIZE = 1024
T = TypeVar("T")


class RateCache:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.generations = GenerationReader(db, "price_generation")
        self._items: LRUCache[str, ReservationRate] = LRUCache(SIZE)
        self._usage: LRUCache[str, dict[str, EventPriceInfo]] = LRUCache(SIZE)
        self._generation: int | None = None
        self._lock = threading.Lock()

    def _current(self) -> int | None:
        generation = self.generations.read()
        self._move_to(generation)
        return generation

    def _move_to(self, generation: int | None) -> None:
        with self._lock:
            if generation != self._generation:  # forget everything older (or all: the counter is gone)
                self._items.clear()
                self._usage.clear()
                self._generation = generation

    def rate(self, processor_id: str) -> ReservationRate:
        """The processor's rate as of now (two small reads on a miss)."""
        return self._through(self._items, processor_id, reservation_rate, self._current())

    def rate_under(self, generation: int | None, processor_id: str) -> ReservationRate:
        """``rate`` when the caller has just read ``price_generation`` itself (with other counters)."""
        self._move_to(generation)
        return self._through(self._items, processor_id, reservation_rate, generation)

    def usage_prices(self, processor_id: str) -> dict[str, EventPriceInfo]:
        """The job products' prices on the processor as of now (by product; two reads on a miss)."""
        return self._through(self._usage, processor_id, usage_prices, self._current())

    def _through(self, items: LRUCache[str, T], processor_id: str, load: Callable[[Session, str], T],
                 generation: int | None) -> T:
        with self._lock:
            found = items.get(processor_id) if generation is not None else None
        if found is not None:
            return found
        with self.db.session() as session:
            found = load(session, processor_id)
        with self._lock:
            if generation is not None and generation == self._generation:
                items[processor_id] = found
        return found


def rate_cache(db: Database) -> RateCache:
    """The database's one cache (every request of a process shares it)."""
    found = vars(db).get("_rate_cache")
    if found is None:
        found = vars(db).setdefault("_rate_cache", RateCache(db))
    assert isinstance(found, RateCache)
    return found
