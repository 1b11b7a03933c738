"""No double booking and exact money under concurrent requests, and across a SIGKILL."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from sqlalchemy import select

from openqcs.billing.models import LedgerEntry
from openqcs.identity.accounts import Account
from openqcs.reservations.models import Reservation
from tests.support.bookings import PER_MINUTE, balance, fund_account, iso, slot
from tests.support.databases import database
from tests.support.factories import make_processor, make_user
from tests.support.server import live_server

ATTEMPTS = 200


def _overlaps(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_concurrent_bookings_never_overlap_and_money_is_exact(server):
    ctx = server.ctx
    processor = make_processor(ctx)
    users = [make_user(ctx) for _ in range(4)]
    credits = [3_000, 2_000, 1_000, 600]  # the poorer ones run out: some 402s
    for u, cents in zip(users, credits, strict=True):
        fund_account(ctx, Account(u.idp_id, "user"), cents)
    base = slot(ctx, days=8)
    rng = random.Random(5)
    plans = []
    for i in range(ATTEMPTS):
        start = base + timedelta(minutes=15 * rng.randrange(48))  # 12 hours of overlapping slots
        plans.append((users[i % len(users)], start, start + timedelta(minutes=15 * rng.randint(1, 4))))
    clients = {u.idp_id: server.client(u.token) for u in users}
    barrier = threading.Barrier(32)

    def attempt(plan):
        user, start, end = plan
        try:
            barrier.wait(timeout=0.5)
        except threading.BrokenBarrierError:
            pass
        response = clients[user.idp_id].post("/v1/reservations", json={
            "quantumProcessorId": processor, "startTime": iso(start), "endTime": iso(end)})
        return plan, response

    try:
        with ThreadPoolExecutor(32) as pool:
            results = list(pool.map(attempt, plans))
    finally:
        for c in clients.values():
            c.close()

    statuses = [r.status_code for _, r in results]
    assert set(statuses) <= {201, 402, 409}, sorted(set(statuses))
    won = [(plan, r.json()) for plan, r in results if r.status_code == 201]
    assert won and statuses.count(409) > 0
    intervals = [(p[1], p[2]) for p, _ in won]
    for i, a in enumerate(intervals):
        assert not any(_overlaps(a, b) for b in intervals[i + 1:]), "double booking"
    # Every 409 really met a booking that won.
    for plan, r in results:
        if r.status_code == 409:
            assert any(_overlaps((plan[1], plan[2]), b) for b in intervals)
    with ctx.db.session() as session:
        stored = session.scalars(select(Reservation).where(Reservation.processor_id == processor)).all()
    assert sorted(r.id for r in stored) == sorted(body["id"] for _, body in won)
    for u, cents in zip(users, credits, strict=True):
        spent = sum(body["price"] for plan, body in won if plan[0] is u)
        left = balance(ctx, Account(u.idp_id, "user"))
        assert left == cents - spent
        # A 402 means the price was more than what was left (balances only fall here).
        for plan, r in results:
            if plan[0] is u and r.status_code == 402:
                assert left < int((plan[2] - plan[1]).total_seconds() // 60) * PER_MINUTE


def test_sigkill_during_bookings_loses_no_paid_booking_and_debits_nothing_else(db_kind, tmp_path):
    with database(db_kind, str(tmp_path)) as url, live_server(url, str(tmp_path), OPENQCS_API_ONLY="true") as srv:
        ctx = srv.ctx
        processor = make_processor(ctx)
        user = make_user(ctx)
        account = Account(user.idp_id, "user")
        fund_account(ctx, account, 1_000_000)
        base = slot(ctx, days=9)
        acknowledged: list[int] = []
        stop = threading.Event()
        counter = iter(range(10_000))
        lock = threading.Lock()

        def hammer():
            with httpx.Client(base_url=srv.base_url, timeout=5,
                              headers={"authorization": f"Bearer {user.token}"}) as client:
                while not stop.is_set():
                    with lock:
                        n = next(counter)
                    start = base + timedelta(minutes=15 * n)
                    try:
                        r = client.post("/v1/reservations", json={"quantumProcessorId": processor,
                                                                  "startTime": iso(start),
                                                                  "endTime": iso(start + timedelta(minutes=15))})
                    except httpx.HTTPError:
                        time.sleep(0.01)
                        continue
                    if r.status_code == 201:
                        with lock:
                            acknowledged.append(r.json()["id"])

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(acknowledged) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        srv.kill()
        stop.set()
        for t in threads:
            t.join(10)
        assert len(acknowledged) >= 20
        srv.start()

        with ctx.db.session() as session:
            stored = {r.id: r for r in session.scalars(
                select(Reservation).where(Reservation.processor_id == processor))}
            entries = {e.item_id: e for e in session.scalars(
                select(LedgerEntry).where(LedgerEntry.account_id == user.idp_id, LedgerEntry.kind == "charge"))}
        assert set(acknowledged) <= set(stored)
        for reservation in stored.values():  # acknowledged or not: booked <=> paid, exactly once
            assert entries[reservation.creation_invoice_item_id].amount_cents == -reservation.price
        assert len(entries) == len(stored)
        assert balance(ctx, account) == 1_000_000 - sum(r.price for r in stored.values())
        # The restarted server serves what it acknowledged.
        with srv.client(user.token) as client:
            assert client.get(f"/v1/reservations/{acknowledged[0]}").status_code == 200
        srv.kill()  # a graceful stop takes seconds and proves nothing here


def test_database_rejects_the_overlap_the_check_missed(db_kind, tmp_path, monkeypatch):
    """With the service's overlap check disabled, the database itself (PostgreSQL's exclusion
    constraint, SQLite's trigger) still refuses the second booking; its debit rolls back."""
    from openqcs.config import load_settings
    from openqcs.context import AppContext
    from openqcs.db.migrate import upgrade
    from openqcs.errors import Conflict
    from openqcs.identity.principal import Principal
    from openqcs.reservations import flows, service

    with database(db_kind, str(tmp_path)) as url:
        upgrade(url)
        ctx = AppContext.create(load_settings({}, database_url=url, data_dir=str(tmp_path)))
        try:
            processor = make_processor(ctx)
            caller = Principal(user_id=1, idp_id="u-constraint", email="c@example.test", groups=frozenset())
            account = Account(caller.idp_id, "user")
            fund_account(ctx, account, 10_000)
            monkeypatch.setattr(service, "is_free_in", lambda *args: True)
            start = slot(ctx, days=2)

            def book(begin, minutes):
                return flows.create_reservation(ctx.db, caller, account, processor, begin,
                                                begin + timedelta(minutes=minutes), "", now=ctx.clock.now(),
                                                settings=ctx.settings).price

            assert book(start, 60) == 600
            try:
                book(start + timedelta(minutes=30), 60)
                raise AssertionError("overlapping booking was stored")
            except Conflict as exc:
                assert exc.code == "reservation_unavailable"
            assert book(start + timedelta(minutes=60), 15) == 150  # touching is not overlapping
            assert balance(ctx, account) == 10_000 - 750
        finally:
            ctx.close()
