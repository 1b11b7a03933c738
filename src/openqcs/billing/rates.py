"""Reservation rates kept in memory, so a booking or a FindAvailable page prices without queries.

Entries are made under the current ``price_generation`` (bumped by triggers on any change to
the price tables) and count only while it stays the same: a price set on any replica is seen
on the next request everywhere. The counter is read first and the entry stored under that
value, so a change committed meanwhile shows up as a newer generation and is not missed.
"""

from __future__ import annotations

import threading

from cachetools import LRUCache

from openqcs.billing.service import ReservationRate, reservation_rate
from openqcs.db.engine import Database
from openqcs.db.generations import GenerationReader

SIZE = 1024


class RateCache:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.generations = GenerationReader(db, "price_generation")
        self._items: LRUCache[str, ReservationRate] = LRUCache(SIZE)
        self._generation: int | None = None
        self._lock = threading.Lock()

    def rate(self, processor_id: str) -> ReservationRate:
        """The processor's rate as of now (two small reads on a miss)."""
        generation = self.generations.read()
        with self._lock:
            if generation != self._generation:  # forget everything older (or all: the counter is gone)
                self._items.clear()
                self._generation = generation
            found = self._items.get(processor_id) if generation is not None else None
        if found is not None:
            return found
        with self.db.session() as session:
            found = reservation_rate(session, processor_id)
        with self._lock:
            if generation is not None and generation == self._generation:
                self._items[processor_id] = found
        return found


def rate_cache(db: Database) -> RateCache:
    """The database's one cache (every request of a process shares it)."""
    found = vars(db).get("_rate_cache")
    if found is None:
        found = vars(db).setdefault("_rate_cache", RateCache(db))
    assert isinstance(found, RateCache)
    return found
