"""Processor fixtures: the demo processors and restricted ones, made on the live server's database."""

from __future__ import annotations

import secrets

import pytest

from openqcs.processors import service
from openqcs.processors.seed import DEMO_IDS, seed_demo
from openqcs.processors.synth import synthesize


@pytest.fixture(scope="session")
def demo(server) -> tuple[str, ...]:
    seed_demo(server.ctx)
    return DEMO_IDS


def add_processor(ctx, *, prefix: str = "Test", public: bool = True, noiseless: bool = False,
                  rows: int = 2, cols: int = 2, seed: int = 1) -> str:
    processor_id = f"{prefix}-{secrets.token_hex(3)}"
    doc = synthesize(processor_id, rows=rows, cols=cols, seed=seed, now=ctx.clock.now())
    with ctx.db.session(write=True) as session:
        service.import_isa(session, doc, now=ctx.clock.now(), public=public, noiseless=noiseless)
    return processor_id


def grant(ctx, processor_id: str, account_type: str, account_id: str) -> None:
    with ctx.db.session(write=True) as session:
        service.grant(session, processor_id, account_type=account_type, account_id=account_id)


@pytest.fixture
def restricted(server, demo) -> str:
    return add_processor(server.ctx, prefix="Secret", public=False)
