"""Demo data: a default endpoint for every processor that has none (runs after the processors seed)."""

from __future__ import annotations

from openqcs.context import AppContext
from openqcs.endpoints.service import ensure_default_endpoints


def seed_demo(ctx: AppContext) -> None:
    with ctx.db.session(write=True) as session:
        ensure_default_endpoints(session, ctx.clock.now())
