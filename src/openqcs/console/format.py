"""Template filters: money, times and durations as people read them."""

from __future__ import annotations

from datetime import datetime, timedelta


def money(cents: int | None) -> str:
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def when_s(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def iso(value: datetime | None) -> str:
    return value.isoformat().replace("+00:00", "Z") if value else ""


def seconds(value: float | timedelta | None) -> str:
    if value is None:
        return "—"
    total = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if total < 0.001:
        return f"{total * 1e6:.0f} µs"
    if total < 1:
        return f"{total * 1000:.0f} ms"
    if total < 120:
        return f"{total:.1f} s"
    minutes, secs = divmod(int(total), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %"


FILTERS = {"money": money, "when": when, "when_s": when_s, "iso": iso, "seconds": seconds, "percent": percent}
