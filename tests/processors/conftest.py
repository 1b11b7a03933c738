"""Processor fixtures: the demo processors and restricted ones, made on the live server's database
(tests.support.factories)."""

from __future__ import annotations

import pytest

from openqcs.processors.seed import DEMO_IDS, seed_demo
from tests.support.factories import make_synth_processor


@pytest.fixture(scope="session")
def demo(server) -> tuple[str, ...]:
    seed_demo(server.ctx)
    return DEMO_IDS


@pytest.fixture
def restricted(server, demo) -> str:
    return make_synth_processor(server.ctx, prefix="Secret", public=False)
