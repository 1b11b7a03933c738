"""Fixtures for execution tests: processors imported from the reference ISAs, gRPC stubs."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from openqcs.execution.proto import services_controller_pb2_grpc as sc_grpc
from openqcs.execution.proto import services_translation_pb2_grpc as st_grpc
from tests.support.factories import TestUser, funded_user, make_reference_processor
from tests.support.programs import wide_program

__all__ = ["funded_user", "wide_program"]  # until this folder's tests import them from tests/support

# A Bell pair in Aspen's native gates (H = RZ(pi/2) RX(pi/2) RZ(pi/2); CNOT 0 1 = H 1, CZ 0 1, H 1).
BELL = ("DECLARE ro BIT[2]\n"
        "RZ(pi/2) 0\nRX(pi/2) 0\nRZ(pi/2) 0\nRZ(pi/2) 1\nRX(pi/2) 1\nRZ(pi/2) 1\nCZ 0 1\n"
        "RZ(pi/2) 1\nRX(pi/2) 1\nRZ(pi/2) 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n")


add_processor = make_reference_processor  # the name this folder's tests import


@pytest.fixture
def user(server) -> TestUser:
    return funded_user(server.ctx)


@pytest.fixture
def other_user(server) -> TestUser:
    return funded_user(server.ctx)


def reserve(ctx, processor_id: str, account_type: str, account_id: str, *, minutes: int = 60):
    """A reservation covering now, written directly (booking rules are the reservations domain's)."""
    from openqcs.reservations.models import Reservation

    now = ctx.clock.now()
    with ctx.db.session(write=True) as session:
        row = Reservation(processor_id=processor_id, account_type=account_type, account_id=account_id,
                          created_by_type=account_type, created_by_id=account_id,
                          start_time=now - timedelta(minutes=1), end_time=now + timedelta(minutes=minutes),
                          price=0, notes="", cancelled=False, created_time=now, updated_time=now)
        session.add(row)
        session.flush()
        return row.end_time


class Stubs:
    def __init__(self, server, token: str | None) -> None:
        self.channel = grpc.insecure_channel(f"127.0.0.1:{server.settings.grpc_port}")
        self.metadata = [("authorization", f"Bearer {token}")] if token else []
        self.translation = st_grpc.TranslationStub(self.channel)
        self.controller = sc_grpc.ControllerStub(self.channel)

    def translate(self, request, **kw):
        return self.translation.TranslateQuilToEncryptedControllerJob(request, metadata=self.metadata, timeout=30, **kw)

    def call(self, method: str, request, **kw):
        stub = self.controller if hasattr(self.controller, method) else self.translation
        return getattr(stub, method)(request, metadata=self.metadata, timeout=30, **kw)


@pytest.fixture(scope="session")
def ideal(server) -> str:
    return add_processor(server.ctx, noiseless=True, processor_id="Exec-Ideal")


@pytest.fixture(scope="session")
def noisy(server) -> str:
    return add_processor(server.ctx, noiseless=False, processor_id="Exec-Noisy")


@pytest.fixture
def stubs(server, user):
    s = Stubs(server, user.token)
    yield s
    s.channel.close()
