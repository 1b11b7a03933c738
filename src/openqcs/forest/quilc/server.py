"""Start the quilc service for `openqcs serve` (being built)."""

from __future__ import annotations

from collections.abc import Callable

from openqcs.config import Settings


def start(settings: Settings) -> Callable[[], None] | None:
    return None
