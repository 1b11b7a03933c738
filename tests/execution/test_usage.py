"""Usage billing: the month's running totals count every job's usage (also what rounds to no
cent), the ledger charges their exact differences, and a job whose usage was never written (the process died after the result) is billed once by the next server to start."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openqcs.billing import pricing, service
from openqcs.billing import usage as billing_usage
from openqcs.billing.models import LedgerEntry, UsageTotal
from openqcs.config import Settings
from openqcs.context import AppContext
from openqcs.db.migrate import upgrade
from openqcs.execution.models import SUCCEEDED, ExecutionJob
from openqcs.execution.usage import Usage, bill
from openqcs.identity.accounts import Account
from tests.support.databases import database
from tests.support.factories import fund, make_processor, make_user
from tests.support.server import LiveServer


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(request, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp(f"usage-{request.param}"))
    with database(request.param, directory) as url:
        upgrade(url)
        ctx = AppContext.create(Settings(database_url=url, data_dir=directory))
        try:
            yield request.param, url, directory, ctx
        finally:
            ctx.close()


def _ledger_totals(ctx, account: Account) -> dict[tuple[str, str], int]:
    with ctx.db.session() as s:
        rows = s.execute(select(LedgerEntry.product, LedgerEntry.created_time, LedgerEntry.quantity).where(
            LedgerEntry.account_type == account.type, LedgerEntry.account_id == account.id,
            LedgerEntry.kind == "usage")).all()
    found: dict[tuple[str, str], int] = {}
    for product, at, quantity in rows:
        key = (product, at.strftime("%Y-%m"))
        found[key] = found.get(key, 0) + quantity
    return found


def _payer(ctx, prefix: str, cents: int):
    """A new user with ``cents`` of credit and a processor of its own: (user, account, processor)."""
    user = make_user(ctx)
    fund(ctx, "user", user.idp_id, cents)
    return user, Account(user.idp_id, "user"), make_processor(ctx, prefix=prefix)


def test_month_totals_count_all_usage_and_the_ledger_charges_it_exactly_across_a_month_boundary(store):
    _, _, _, ctx = store
    user, account, processor = _payer(ctx, "Usage", 10_000)
    per_us = pricing.PriceRule("per_unit", Decimal("0.0003"))
    with ctx.db.session(write=True) as s:  # graduated: the 3rd job on costs less; sub-cent time rounds
        service.set_event_price(s, "qpuJobCompletion", pricing.PriceRule(
            "tiered", tiers_mode="graduated", tiers=(pricing.Tier(2, Decimal(5)), pricing.Tier(-1, Decimal(2)))),
            processor_id=processor, at=ctx.clock.now())
        service.set_event_price(s, "qpuJobTime", per_us, processor_id=processor, at=ctx.clock.now())
    boundary = datetime(2027, 1, 1, tzinfo=UTC)
    times = [boundary - timedelta(minutes=3), boundary - timedelta(seconds=1), boundary - timedelta(microseconds=1),
             boundary, boundary + timedelta(seconds=2), boundary + timedelta(minutes=1)]
    # Each job's time alone rounds to 0 or 1 cent; the months' totals are 4,300 and 5,800 µs.
    durations = (1000, 2500, 800, 4000, 100, 1700)
    jobs = [Usage("job-" + secrets.token_hex(6), account, processor, duration, at)
            for at, duration in zip(times, durations, strict=True)]
    assert bill(ctx, jobs[:2]) == 2
    assert bill(ctx, [jobs[2], jobs[3]]) == 2
    assert bill(ctx, jobs[1:]) == 2  # the ones billed already are not billed again
    charged = _ledger_totals(ctx, account)
    with ctx.db.session() as s:
        kept = {(row.product, row.month): row.quantity for row in s.scalars(select(UsageTotal).where(
            UsageTotal.account_type == "user", UsageTotal.account_id == user.idp_id)) if row.quantity}
        balance = service.balance_cents(s, account)
        assert balance == service.ledger_sum_cents(s, account)
        completions = s.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.account_id == user.idp_id, LedgerEntry.product == "qpuJobCompletion"))
    assert kept == {("qpuJobCompletion", "2026-12"): 3, ("qpuJobCompletion", "2027-01"): 3,
                    ("qpuJobTime", "2026-12"): 4300, ("qpuJobTime", "2027-01"): 5800}
    assert charged[("qpuJobCompletion", "2026-12")] == 3 and charged[("qpuJobCompletion", "2027-01")] == 3
    assert completions == 6
    # Per month: 5 + 5 + 2 cents for the jobs, and the time: round(0.0003 µs⁻¹ × the month's total).
    december = 12 + pricing.amount_cents(per_us, 4300)
    january = 12 + pricing.amount_cents(per_us, 5800)
    assert (december, january) == (13, 14)
    assert balance == 10_000 - december - january


def test_many_short_jobs_pay_for_their_total_time(store):
    _, _, _, ctx = store
    _, account, processor = _payer(ctx, "Short", 10_000)
    with ctx.db.session(write=True) as s:  # completion free; 0.0001 cent per µs: 0.15 cent per job
        service.set_event_price(s, "qpuJobCompletion", pricing.PriceRule("per_unit", Decimal(0)),
                                processor_id=processor, at=ctx.clock.now())
        service.set_event_price(s, "qpuJobTime", pricing.PriceRule("per_unit", Decimal("0.0001")),
                                processor_id=processor, at=ctx.clock.now())
    now = ctx.clock.now()
    jobs = [Usage("job-" + secrets.token_hex(6), account, processor, 1500, now) for _ in range(100)]
    assert bill(ctx, jobs) == 100
    with ctx.db.session() as s:
        assert service.balance_cents(s, account) == 10_000 - 15  # 100 × 1.5 ms = 0.15 s
        assert service.ledger_sum_cents(s, account) == 10_000 - 15


def _finished_job(ctx, processor: str, user) -> str:
    job_id = "job-" + secrets.token_hex(8)
    now = ctx.clock.now()
    with ctx.db.session(write=True) as s:
        s.add(ExecutionJob(id=job_id, processor_id=processor, user_id=user.id, account_type="user",
                           account_id=user.idp_id, program="", shots=1, readout="{}", memory="{}",
                           status=SUCCEEDED, result=b"", duration_us=2000, created_time=now - timedelta(minutes=2),
                           started_time=now - timedelta(minutes=2), finished_time=now - timedelta(minutes=1)))
    return job_id


def _completion_entries(ctx, job_id: str) -> int:
    with ctx.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.reference == job_id, LedgerEntry.product == "qpuJobCompletion")) or 0)


def test_a_finished_job_without_usage_is_billed_once_by_a_freshly_started_server(store, tmp_path):
    kind, url, _, ctx = store
    user = make_user(ctx)
    processor = make_processor(ctx, prefix="Lost")
    fund(ctx, "user", user.idp_id, 1_000)
    job_id = _finished_job(ctx, processor, user)
    servers = []
    for i in range(2 if kind == "postgres" else 1):  # two replicas sweep the same job on PostgreSQL
        directory = tmp_path / f"s{i}"
        directory.mkdir()
        servers.append(LiveServer(url, str(directory)))
    try:
        for server in servers:
            server.start()
        deadline = time.monotonic() + 20
        while _completion_entries(ctx, job_id) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # a second replica's sweep has had its chance too
        assert _completion_entries(ctx, job_id) == 1
        with ctx.db.session() as s:
            assert service.balance_cents(s, Account(user.idp_id, "user")) == 1_000 - 1  # 1 cent; 2 ms is 0.2 cents
    finally:
        for server in servers:
            server.close()


def _counting_at_the_driver(session, statements: list[str]):
    """Count what the session's connection sends at its driver (billing bypasses SQLAlchemy's
    execution layer); returns a function that stops counting."""
    driver = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "sqlite":
        # Not statements sent: trigger bodies, and SQLite's second report of a RETURNING statement.
        driver.set_trace_callback(lambda sql: None if sql.startswith("--") or (
            "RETURNING" in sql and statements[-1:] == [sql]) else statements.append(sql))
        return lambda: driver.set_trace_callback(None)
    import psycopg

    class Counting(psycopg.Cursor):
        def execute(self, query, params=None, **kw):
            statements.append(str(query))
            return super().execute(query, params, **kw)

    before, driver.cursor_factory = driver.cursor_factory, Counting
    return lambda: setattr(driver, "cursor_factory", before)


def test_billing_jobs_sends_five_statements_whatever_the_account_history(store):
    _, _, _, ctx = store
    _, account, processor = _payer(ctx, "Count", 10_000)
    now = ctx.clock.now()
    prices = {product: service.DEFAULT_EVENT_PRICES[product] for product in billing_usage.JOB_PRODUCTS}
    statements: list[str] = []
    counts = []
    for history in range(3):
        with ctx.db.session(write=True) as s:
            stop = _counting_at_the_driver(s, statements)
            try:
                statements.clear()
                job = billing_usage.JobUsage(f"job-{secrets.token_hex(6)}-{history}", account, processor, 50_000, now)
                assert billing_usage.bill_job(s, job, prices)
                counts.append(len(statements))
                statements.clear()
                assert not billing_usage.bill_job(s, job, prices)  # billed already: the mark alone
                counts.append(len(statements))
            finally:
                stop()
    # mark, totals (locked), their increment, balance, entries; a second time only the mark
    assert counts == [5, 1] * 3
    # A batch of one account's jobs: about as many as one job.
    batch = [(billing_usage.JobUsage(f"job-{secrets.token_hex(6)}-b{i}", account, processor, 50_000, now), prices)
             for i in range(10)]
    with ctx.db.session(write=True) as s:
        stop = _counting_at_the_driver(s, statements)
        try:
            statements.clear()
            with billing_usage._in_session(s) as tx:
                assert billing_usage.bill_jobs(tx, batch) == 10
            assert len(statements) == 5
        finally:
            stop()
    with ctx.db.session() as s:
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.reference.in_([j.reference for j, _ in batch]))).all()
        assert service.balance_cents(s, account) == service.ledger_sum_cents(s, account)
    assert sorted(e.reference for e in entries if e.product == "qpuJobCompletion") == sorted(j.reference for j, _ in batch)
    # Each job pays what it would alone: 10 jobs as 10 times one (these prices have no tiers).
    assert sum(e.amount_cents for e in entries) == 10 * sum(
        e.amount_cents for e in s.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id, LedgerEntry.reference.like("job-%-0"))).all())
