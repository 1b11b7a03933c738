"""Shared fixtures: a live server per database kind, the spec-checking HTTP client, users."""

from __future__ import annotations

import pytest

from tests.support.databases import database
from tests.support.factories import TestUser, make_user
from tests.support.server import LiveServer, live_server

DATABASES = ["sqlite", "postgres"]


@pytest.fixture(scope="session", params=DATABASES)
def db_kind(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def server(db_kind: str, tmp_path_factory) -> LiveServer:
    """One live server per database kind, shared by the tests of a session."""
    directory = str(tmp_path_factory.mktemp(f"server-{db_kind}"))
    with database(db_kind, directory) as url, live_server(url, directory) as srv:
        yield srv


@pytest.fixture
def user(server: LiveServer) -> TestUser:
    return make_user(server.ctx)


@pytest.fixture
def other_user(server: LiveServer) -> TestUser:
    return make_user(server.ctx)


@pytest.fixture
def admin_user(server: LiveServer) -> TestUser:
    return make_user(server.ctx, admin=True)
