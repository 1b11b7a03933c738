"""Alembic environment: runs migrations on the URL set by ``openqcs.db.migrate``."""

from alembic import context
from sqlalchemy import create_engine, pool

from openqcs.db.base import Base
from openqcs.domains import load_models

load_models()
target_metadata = Base.metadata
config = context.config


def run() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
