"""The hot operations stay cheap: how many SQL statements each one sends once warm, counted with
SQLAlchemy's cursor events on the app the server runs, against a real database.

Raising a bound here needs a reason: each statement is a round trip on PostgreSQL and a
share of the write lock on SQLite.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event

from openqcs.app import create_app
from openqcs.billing import service as billing
from openqcs.config import load_settings
from openqcs.context import AppContext
from openqcs.db.migrate import upgrade
from openqcs.identity.accounts import Account
from tests.support.bookings import iso, slot
from tests.support.databases import database
from tests.support.factories import make_synth_processor, make_user

# Per operation, warm: (SQLite, PostgreSQL). Not counted: the generation counters the caches
# check, read outside SQLAlchemy (SQLite: a per-thread connection; PostgreSQL: one async round
# trip per request for both).
BOUNDS = {
    "GetHealth": (0, 0),
    "ListQuantumProcessors": (0, 0),
    "GetInstructionSetArchitecture": (0, 0),
    "GetInstructionSetArchitecture (auth)": (0, 0),
    # The raw fast path reads one row outside SQLAlchemy; with a query string Litestar answers:
    # one SELECT (after BEGIN on SQLite).
    "GetReservation": (0, 0),
    "GetReservation (Litestar)": (2, 1),
    # Counted at the driver (it runs its statements on the driver's cursor). A lone booking of
    # the fast path's group commit: SQLite: BEGIN IMMEDIATE, the three counters, insert unless
    # maintenance (the trigger refuses an overlap), guarded debit, ledger entry, COMMIT.
    # PostgreSQL: the processor's advisory lock, the counters, insert unless maintenance (the
    # exclusion constraint refuses an overlap), debit, ledger entry. (Bookings that arrive
    # together share the lock, counters and COMMIT, and add a savepoint each.)
    "CreateReservation": (6, 5),
}
DRIVER_COUNTED = {"CreateReservation"}


def _count_at_the_driver(ctx, statements: list[str]) -> None:
    """Every statement that reaches the driver, on connections made from now on."""
    import psycopg

    class Counting(psycopg.Cursor):
        def execute(self, query, params=None, **kw):
            statements.append(str(query))
            return super().execute(query, params, **kw)

    def traced(sql: str) -> None:
        # Not statements sent: trigger bodies ("-- TRIGGER …"), and the second report SQLite
        # makes of a statement with RETURNING (the same text, at once).
        if not sql.startswith("--") and not ("RETURNING" in sql and statements[-1:] == [sql]):
            statements.append(sql)

    def instrument(dbapi_conn, _record) -> None:
        if ctx.db.is_sqlite:
            dbapi_conn.set_trace_callback(traced)
        else:
            dbapi_conn.cursor_factory = Counting

    event.listen(ctx.db.engine, "connect", instrument)
    ctx.db.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def app_ctx(request, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp(f"statements-{request.param}"))
    with database(request.param, directory) as url:
        upgrade(url)
        settings = load_settings({"OPENQCS_DATABASE_URL": url, "OPENQCS_DATA_DIR": directory,
                                  "OPENQCS_LOG_LEVEL": "WARNING"})
        ctx = AppContext.create(settings)
        try:
            yield request.param, create_app(settings, ctx), ctx
        finally:
            ctx.close()


def _requests(ctx) -> tuple[dict[str, str], dict[str, tuple]]:
    processor = make_synth_processor(ctx, prefix="Counted")
    user = make_user(ctx)
    with ctx.db.session(write=True) as session:
        billing.credit(session, Account(user.idp_id, "user"), 10**9, note="test", at=ctx.clock.now())
    auth = {"authorization": f"Bearer {user.token}"}
    isa = f"/v1/quantumProcessors/{processor}/instructionSetArchitecture"
    slots = iter(range(1, 1000))

    def booking() -> dict:
        start = slot(ctx, days=2) + timedelta(minutes=15 * next(slots))
        return {"quantumProcessorId": processor, "startTime": iso(start), "endTime": iso(start + timedelta(minutes=15))}

    return auth, {
        "GetHealth": ("GET", "/", {}, None),
        "ListQuantumProcessors": ("GET", "/v1/quantumProcessors", {}, None),
        "GetInstructionSetArchitecture": ("GET", isa, {}, None),
        "GetInstructionSetArchitecture (auth)": ("GET", isa, auth, None),
        "CreateReservation": ("POST", "/v1/reservations", auth, booking),
    }


def test_warm_hot_operations_send_no_more_statements_than_their_bound(app_ctx):
    kind, app, ctx = app_ctx
    auth, operations = _requests(ctx)
    statements: list[str] = []
    event.listen(ctx.db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    driver: list[str] = []
    _count_at_the_driver(ctx, driver)

    async def count(client, method, path, headers, body, counted=statements) -> int:
        for _ in range(2):  # warm: caches filled, statements compiled
            response = await client.request(method, path, headers=headers, json=body() if body else None)
            assert response.status_code in (200, 201), response.text
        counted.clear()
        response = await client.request(method, path, headers=headers, json=body() if body else None)
        assert response.status_code in (200, 201), response.text
        return len(counted), response

    async def run() -> dict[str, int]:
        found = {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for name, (method, path, headers, body) in operations.items():
                found[name], response = await count(client, method, path, headers, body,
                                                    driver if name in DRIVER_COUNTED else statements)
            reservation = response.json()["id"]
            path = f"/v1/reservations/{reservation}"
            found["GetReservation"], _ = await count(client, "GET", path, auth, None)
            found["GetReservation (Litestar)"], _ = await count(client, "GET", path + "?view=full", auth, None)
        return found

    found = asyncio.run(run())
    column = 0 if kind == "sqlite" else 1
    over = {name: (n, BOUNDS[name][column]) for name, n in found.items() if n > BOUNDS[name][column]}
    assert not over, f"statements (sent, bound) on {kind}: {over}"
