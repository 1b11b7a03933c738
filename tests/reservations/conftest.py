"""Fixtures for reservation tests: a fresh processor (helpers are in tests/support/bookings.py)."""

from __future__ import annotations

import pytest

from tests.support.factories import make_processor


@pytest.fixture
def processor(server) -> str:
    return make_processor(server.ctx)
