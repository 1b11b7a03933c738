"""Billing fixtures: a migrated database and context without a server, for the service tests."""

from __future__ import annotations

import pytest

from openqcs.config import Settings
from openqcs.context import AppContext
from openqcs.db.migrate import upgrade
from tests.support.databases import database


@pytest.fixture(scope="session")
def store(db_kind: str, tmp_path_factory) -> AppContext:
    """A migrated database of each kind and a context on it (no server process)."""
    directory = str(tmp_path_factory.mktemp(f"billing-{db_kind}"))
    with database(db_kind, directory) as url:
        upgrade(url)
        ctx = AppContext.create(Settings(database_url=url, data_dir=directory))
        try:
            yield ctx
        finally:
            ctx.close()
