"""Endpoint fixtures: fresh processors on the live server's database (tests.support.factories)."""

from __future__ import annotations

import pytest

from tests.support.factories import make_processor


@pytest.fixture
def processor(server) -> str:
    return make_processor(server.ctx, prefix="Ep", default_endpoint=True)


@pytest.fixture
def clock(server):
    """Moves the live server's clock; puts it back afterwards."""
    yield server.move_clock
    server.move_clock(0)
