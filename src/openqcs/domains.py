"""The domain packages, in dependency order.

Each may provide ``models`` (tables), ``routes`` (``ROUTES``: Litestar handlers),
``cli`` (``app``: a Typer group under ``openqcs admin``), ``seed`` (``seed_demo``)
and ``migrations/`` (its own Alembic branch). The app, CLI, seeder and migrator
discover them from this list, so a domain plugs in without editing shared files.
"""

from __future__ import annotations

import importlib
from types import ModuleType

DOMAINS = (
    "core",
    "health",
    "identity",
    "viewer",
    "clientapps",
    "processors",
    "endpoints",
    "billing",
    "reservations",
    "execution",
    "forest",
    "console",
)


def submodules(name: str) -> list[ModuleType]:
    """Import ``openqcs.<domain>.<name>`` for every domain that has it."""
    found = []
    for domain in DOMAINS:
        try:
            found.append(importlib.import_module(f"openqcs.{domain}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name not in (f"openqcs.{domain}.{name}", f"openqcs.{domain}"):
                raise
    return found


def load_models() -> None:
    submodules("models")
