"""Fixtures for execution tests: processors imported from the reference ISAs, gRPC stubs."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import grpc
import pytest

from openqcs.execution.proto import services_controller_pb2_grpc as sc_grpc
from openqcs.execution.proto import services_translation_pb2_grpc as st_grpc
from tests.support.factories import TestUser, make_reference_processor, make_user

# The reference ISAs, as the processors domain ships them.
ISA_DIR = Path(__file__).resolve().parents[2] / "src/openqcs/processors/data"

# A Bell pair in Aspen's native gates (H = RZ(pi/2) RX(pi/2) RZ(pi/2); CNOT 0 1 = H 1, CZ 0 1, H 1).
BELL = ("DECLARE ro BIT[2]\n"
        "RZ(pi/2) 0\nRX(pi/2) 0\nRZ(pi/2) 0\nRZ(pi/2) 1\nRX(pi/2) 1\nRZ(pi/2) 1\nCZ 0 1\n"
        "RZ(pi/2) 1\nRX(pi/2) 1\nRZ(pi/2) 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n")


add_processor = make_reference_processor  # the name this folder's tests import


def fund(ctx, account_type: str, account_id: str, cents: int = 100_000) -> None:
    """Credit an account (jobs are refused without it)."""
    from openqcs.billing.service import credit
    from openqcs.identity.accounts import Account

    with ctx.db.session(write=True) as session:
        credit(session, Account(account_id, account_type), cents, note="tests", at=ctx.clock.now())


def funded_user(ctx, *, cents: int = 100_000, groups: tuple[str, ...] = (), **kwargs) -> TestUser:
    """A user with credit on their own account and on each of their groups'."""
    user = make_user(ctx, groups=groups, **kwargs)
    fund(ctx, "user", user.idp_id, cents)
    for name in groups:
        fund(ctx, "group", name, cents)
    return user


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


def wide_program(qubits: int, depth: int, source: str = "Aspen-M-3") -> str:
    """A noiseless-heavy program: ``depth`` layers of RX/RZ on ``qubits`` connected qubits and CZ on
    their edges (22 qubits x 20 layers simulate for several seconds here)."""
    doc = json.loads((ISA_DIR / f"{source}.json").read_text())
    edges = [tuple(s["node_ids"]) for op in doc["instructions"] if op["name"] == "CZ" for s in op["sites"]]
    neighbours: dict[int, list[int]] = {}
    for a, b in edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    chosen, index = [0], 0
    while len(chosen) < qubits:
        for other in sorted(neighbours[chosen[index]]):
            if other not in chosen and len(chosen) < qubits:
                chosen.append(other)
        index += 1
    inner = [(a, b) for a, b in edges if a in chosen and b in chosen]
    lines = [f"DECLARE ro BIT[{qubits}]"]
    for layer in range(depth):
        for q in chosen:
            lines += [f"RX(pi/2) {q}", f"RZ({0.1 * layer + 0.01 * q:.3f}) {q}"]
        lines += [f"CZ {a} {b}" for a, b in inner[layer % 2::2]]
    lines += [f"MEASURE {q} ro[{i}]" for i, q in enumerate(chosen)]
    return "\n".join(lines) + "\n"


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
