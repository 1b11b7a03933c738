"""What processor reads answer, kept in memory per visibility: the list of processor ids, the
ready bytes of a plain ListQuantumProcessors page, and ISA references.

Entries are made under the current ``processor_generation`` (bumped by triggers on any change
to processors, grants or ISAs) and count only while it stays the same, so an import, grant or
revoke on any replica is seen on the next request everywhere. The viewer's groups are part of
the key; they are current because the principal itself is (``identity/authentication.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from cachetools import LRUCache

from openqcs.context import AppContext
from openqcs.db.generations import GenerationReader
from openqcs.identity.principal import Principal

SIZE = 4096
T = TypeVar("T")
# Who sees the same processors; entries are keyed by it and by what was asked.
Key = tuple[Any, ...]


def visibility(viewer: Principal | None) -> Key:
    """Who sees the same processors: anonymous callers, administrators, or a user with groups."""
    if viewer is None:
        return ("anonymous",)
    if viewer.is_admin:
        return ("admin",)
    return ("user", viewer.idp_id, viewer.groups)


class ProcessorViews:
    def __init__(self, ctx: AppContext) -> None:
        self.generations = GenerationReader(ctx.db, "processor_generation")
        self._items: LRUCache[Key, Any] = LRUCache(SIZE)
        self._generation: int | None = None
        self._lock = threading.Lock()

    def get(self, generation: int | None, key: Key) -> Any | None:
        with self._lock:
            self._move_to(generation)  # None (the counter is gone): forget everything
            return self._items.get(key) if generation is not None else None

    def put(self, generation: int | None, key: Key, value: Any) -> None:
        if generation is None:
            return
        with self._lock:
            if generation == self._generation:  # else a newer one was seen meanwhile: drop it
                self._items[key] = value

    def _move_to(self, generation: int | None) -> None:
        if generation != self._generation:
            # Forget everything older: a state import may even bring an old value back.
            self._items.clear()
            self._generation = generation

    def through(self, key: Key, compute: Callable[[], T]) -> T:
        """The cached value, or ``compute()`` stored under the generation read *before* it ran
        (a change committed meanwhile then shows as a newer generation and is not missed)."""
        generation = self.generations.read()
        found = self.get(generation, key)
        if found is None:
            found = compute()
            self.put(generation, key, found)
        return cast(T, found)


def processor_views(ctx: AppContext) -> ProcessorViews:
    found: ProcessorViews | None = vars(ctx).get("_processor_views")
    if found is None:
        found = vars(ctx).setdefault("_processor_views", ProcessorViews(ctx))
    return found
