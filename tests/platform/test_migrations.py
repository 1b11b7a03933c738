"""The migrations build exactly the tables the models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from openqcs.db.base import Base
from openqcs.db.engine import normalize_url
from openqcs.domains import load_models


def test_models_match_migrations(server):
    load_models()
    engine = create_engine(normalize_url(server.settings.db_url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
