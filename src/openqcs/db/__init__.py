"""Storage: engine and sessions, declarative base, Alembic migrations, the clock."""
