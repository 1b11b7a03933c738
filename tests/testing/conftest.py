"""A server per database kind with the admin token set, only for these tests: they reset its
state, which would pull the ground from under the shared ``server`` of other domains."""

from __future__ import annotations

import secrets

import pytest

from tests.support.databases import database
from tests.support.server import LiveServer, live_server

ADMIN_TOKEN = secrets.token_urlsafe(16)


@pytest.fixture(scope="session")
def admin_server(db_kind: str, tmp_path_factory) -> LiveServer:
    directory = str(tmp_path_factory.mktemp(f"admin-{db_kind}"))
    with database(db_kind, directory) as url, live_server(url, directory, OPENQCS_ADMIN_TOKEN=ADMIN_TOKEN,
                                                           OPENQCS_API_ONLY="true") as srv:
        yield srv


@pytest.fixture
def admin_api(admin_server: LiveServer):
    """An HTTP client of the admin API holding the admin token; the server's clock back at real time after."""
    with admin_server.raw_client(headers={"authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        yield client
    admin_server.move_clock(0)
