"""Fixtures for execution tests: processors imported from the reference ISAs, gRPC stubs."""

from __future__ import annotations

import pytest

from tests.support.execution import Stubs
from tests.support.factories import TestUser, funded_user, make_reference_processor


@pytest.fixture
def user(server) -> TestUser:
    return funded_user(server.ctx)


@pytest.fixture
def other_user(server) -> TestUser:
    return funded_user(server.ctx)


@pytest.fixture(scope="session")
def ideal(server) -> str:
    return make_reference_processor(server.ctx, noiseless=True, processor_id="Exec-Ideal")


@pytest.fixture(scope="session")
def noisy(server) -> str:
    return make_reference_processor(server.ctx, noiseless=False, processor_id="Exec-Noisy")


@pytest.fixture
def stubs(server, user):
    s = Stubs(server, user.token)
    yield s
    s.channel.close()
