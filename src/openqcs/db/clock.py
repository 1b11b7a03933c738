"""The injectable clock.

Services take the time from a ``Clock``, never from ``datetime.now`` directly, so tests can
move time. ``FileClock`` reads an offset (seconds) from a file, which lets a test move the
clock of a live server running in another process.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    def __init__(self, path: str) -> None:
        self.path = path
        self._mtime = -1.0
        self._offset = 0.0

    def now(self) -> datetime:
        try:
            mtime = os.stat(self.path).st_mtime
            if mtime != self._mtime:
                with open(self.path) as fh:
                    self._offset = float(fh.read().strip() or 0)
                self._mtime = mtime
        except (OSError, ValueError):
            self._offset = 0.0
        return datetime.now(UTC) + timedelta(seconds=self._offset)


def make_clock(clock_file: str) -> Clock:
    return FileClock(clock_file) if clock_file else SystemClock()
