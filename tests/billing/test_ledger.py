"""The ledger service on both databases: balances, charges, refunds, concurrency."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta

import pytest

from openqcs.billing import service
from openqcs.errors import InvalidArgument, PaymentRequired
from openqcs.identity.accounts import Account
from openqcs.processors.models import Processor

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def fresh_account() -> Account:
    return Account("u" + secrets.token_hex(8), "user")


def test_credit_charge_refund_balance(store):
    ctx, account = store, fresh_account()
    with ctx.db.session() as s:
        assert service.balance_cents(s, account) == 0
    with ctx.db.session(write=True) as s:
        credit_id = service.credit(s, account, 1000, note="welcome", at=NOW)
        charge_id = service.charge(s, account, 300, product="reservationCreation", description="r1",
                                   reference="res-1", at=NOW)
        refund_id = service.refund(s, account, 100, description="cancel r1", reference="res-1", at=NOW)
    assert len({credit_id, charge_id, refund_id}) == 3
    assert all(i.startswith("ii_") for i in (credit_id, charge_id, refund_id))
    with ctx.db.session() as s:
        assert service.balance_cents(s, account) == 800
        assert service.ledger_sum_cents(s, account) == 800


def test_charge_beyond_balance_is_refused_and_changes_nothing(store):
    ctx, account = store, fresh_account()
    with ctx.db.session(write=True) as s:
        service.credit(s, account, 50, note="", at=NOW)
    with pytest.raises(PaymentRequired) as err, ctx.db.session(write=True) as s:
        service.charge(s, account, 51, product="reservationCreation", description="", reference="", at=NOW)
    assert err.value.code == "insufficient_payment" and err.value.status == 402
    with ctx.db.session() as s:
        assert service.balance_cents(s, account) == 50


def test_rolled_back_transaction_leaves_no_debit(store):
    ctx, account = store, fresh_account()
    with ctx.db.session(write=True) as s:
        service.credit(s, account, 500, note="", at=NOW)
    with pytest.raises(RuntimeError), ctx.db.session(write=True) as s:
        service.charge(s, account, 200, product="reservationCreation", description="", reference="", at=NOW)
        raise RuntimeError("the reservation failed after the debit")
    with ctx.db.session() as s:
        assert service.balance_cents(s, account) == 500
        assert service.ledger_sum_cents(s, account) == 500


@pytest.mark.parametrize("amount", [-1, 1.5, True])
def test_bad_amounts_are_rejected(store, amount):
    with pytest.raises(InvalidArgument), store.db.session(write=True) as s:
        service.charge(s, fresh_account(), amount, product="x", description="", reference="", at=NOW)


def test_concurrent_charges_are_exact(store):
    ctx, account = store, fresh_account()
    with ctx.db.session(write=True) as s:
        service.credit(s, account, 100, note="", at=NOW)
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(24)

    def attempt():
        barrier.wait()
        try:
            with ctx.db.session(write=True) as s:
                service.charge(s, account, 7, product="reservationCreation", description="", reference="", at=NOW)
            outcome = "ok"
        except PaymentRequired:
            outcome = "402"
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 14 and results.count("402") == 10
    with ctx.db.session() as s:
        assert service.balance_cents(s, account) == 2
        assert service.ledger_sum_cents(s, account) == 2


def test_concurrent_first_use_creates_one_account_row(store):
    """Many first writers at once must not collide on creating the account row."""
    ctx, account = store, fresh_account()
    barrier = threading.Barrier(12)
    errors = []

    def attempt():
        barrier.wait()
        try:
            with ctx.db.session(write=True) as s:
                service.credit(s, account, 5, note="", at=NOW)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with ctx.db.session() as s:
        assert service.balance_cents(s, account) == 60


def test_reservation_price_uses_processor_price_or_default(store):
    ctx = store
    pid = "Test-" + secrets.token_hex(3)
    with ctx.db.session(write=True) as s:
        s.add(Processor(id=pid, family="Ankaa", public=True, noiseless=False, created_time=NOW))
    start = NOW + timedelta(days=2)
    with ctx.db.session() as s:
        assert service.reservation_price_cents(s, pid, start, start + timedelta(minutes=30)) == \
            30 * service.DEFAULT_PER_MINUTE_CENTS
    with ctx.db.session(write=True) as s:
        service.set_processor_price(s, pid, 25, at=NOW)
    with ctx.db.session() as s:
        assert service.reservation_price_cents(s, pid, start, start + timedelta(hours=1)) == 1500
        with pytest.raises(InvalidArgument):
            service.reservation_price_cents(s, pid, start, start)
    with pytest.raises(InvalidArgument), ctx.db.session(write=True) as s:
        service.set_processor_price(s, "no-such-qpu", 5, at=NOW)
