"""Endpoint fixtures: fresh processors (public or restricted) on the live server's database."""

from __future__ import annotations

import secrets

import pytest

from openqcs.endpoints.service import ensure_default_endpoint
from openqcs.processors.models import Processor, ProcessorAccess


def make_processor(ctx, *, public: bool = True, default: bool = True, grants: tuple[tuple[str, str], ...] = ()) -> str:
    """A processor (no ISA needed here), optionally with its default endpoint and access grants."""
    processor_id = f"Ep-{secrets.token_hex(4)}"
    with ctx.db.session(write=True) as session:
        session.add(Processor(id=processor_id, family="Ankaa", public=public, noiseless=True,
                              created_time=ctx.clock.now()))
        session.flush()
        for account_type, account_id in grants:
            session.add(ProcessorAccess(processor_id=processor_id, account_type=account_type, account_id=account_id))
        if default:
            ensure_default_endpoint(session, processor_id, now=ctx.clock.now())
    return processor_id


def default_endpoint_id(ctx, processor_id: str) -> str:
    with ctx.db.session(write=True) as session:
        return ensure_default_endpoint(session, processor_id)


@pytest.fixture
def processor(server) -> str:
    return make_processor(server.ctx)


@pytest.fixture
def clock(server):
    """Moves the live server's clock; puts it back afterwards."""
    yield server.move_clock
    server.move_clock(0)
