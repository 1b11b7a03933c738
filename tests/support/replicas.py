"""Two ``openqcs serve --api-only`` replicas on one database, behind one issuer name (so each
accepts the other's tokens), as a scaled-out deployment runs them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.databases import database
from tests.support.server import LiveServer, live_server

SHARED = {"OPENQCS_API_ONLY": "true", "OPENQCS_ISSUER_URL": "http://qcs.example.test/oauth2/default"}


@contextmanager
def two_replicas(kind: str, first_dir: str, second_dir: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    with database(kind, first_dir) as url, \
            live_server(url, first_dir, **SHARED) as one, live_server(url, second_dir, **SHARED) as two:
        yield one, two
