"""Reading and moving the test clock (``OPENQCS_CLOCK_FILE``) of a server.

The file holds an offset in seconds from real time; every process of the server reads it on
each ``now()`` (``openqcs.db.clock.FileClock``), so a write here moves the whole server:
reservations start and end, invoices finalize and tokens expire on the moved time.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from openqcs.config import Settings
from openqcs.errors import Conflict, InvalidArgument

# Far enough for any test (a century), near enough that datetimes never overflow.
LIMIT_SECONDS = 100 * 365 * 24 * 3600


def clock_file(settings: Settings) -> Path:
    """The test clock's file; Conflict when the server runs on the system clock."""
    if not settings.clock_file:
        raise Conflict("this server runs on the system clock: start it with OPENQCS_CLOCK_FILE=<path> to move time")
    return Path(settings.clock_file)


def offset(settings: Settings) -> float:
    """The current offset (0 when the file is missing or empty, as FileClock reads it)."""
    try:
        return float(clock_file(settings).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0.0


def set_offset(settings: Settings, seconds: float) -> float:
    if not isinstance(seconds, (int, float)) or seconds != seconds or abs(seconds) > LIMIT_SECONDS:
        raise InvalidArgument(f"clock offset must be a number of seconds within ±{LIMIT_SECONDS}")
    path = clock_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a reader never sees a half-written number.
    try:
        before = os.stat(path).st_mtime_ns
    except OSError:
        before = 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clock-")
    with os.fdopen(fd, "w") as fh:
        fh.write(repr(float(seconds)))
    os.replace(tmp, path)
    # FileClock rereads only when the mtime changes; two writes within one timestamp tick
    # (a few ms on Linux) would otherwise look like one.
    if os.stat(path).st_mtime_ns <= before:
        os.utime(path, ns=(before + 1000, before + 1000))
    return float(seconds)


def advance(settings: Settings, seconds: float) -> float:
    if not isinstance(seconds, (int, float)) or seconds != seconds:
        raise InvalidArgument("advance by a number of seconds")
    return set_offset(settings, offset(settings) + seconds)


def set_now(settings: Settings, when: datetime) -> float:
    """Make the server's now ``when`` (it keeps ticking from there)."""
    if when.tzinfo is None:
        raise InvalidArgument("give the time with its timezone, e.g. 2030-01-01T00:00:00Z")
    return set_offset(settings, (when - datetime.now(UTC)).total_seconds())


def parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidArgument("give the time with its timezone, e.g. 2030-01-01T00:00:00Z")
    return parsed


def describe(settings: Settings) -> dict[str, object]:
    """What ``GET /admin/v1/clock`` and ``openqcs clock`` show."""
    if not settings.clock_file:
        return {"now": datetime.now(UTC).isoformat(), "offsetSeconds": 0.0, "movable": False}
    seconds = offset(settings)
    now = datetime.now(UTC).timestamp() + seconds
    return {"now": datetime.fromtimestamp(now, UTC).isoformat(), "offsetSeconds": seconds, "movable": True}
