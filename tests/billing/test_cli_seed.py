"""`openqcs admin credit|price …` and the demo seed, on both databases."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from openqcs.billing import cli, seed, service, usage
from openqcs.billing.models import EventPrice, ProcessorPrice
from openqcs.identity import seed as identity_seed
from openqcs.identity.accounts import Account
from openqcs.identity.models import Group, User
from openqcs.processors.models import Processor

runner = CliRunner()
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def invoke(store, app, *args: str):
    return runner.invoke(app, [*args, "--database-url", store.settings.db_url])


def make_account_user(store) -> tuple[str, Account]:
    email = f"cli-{secrets.token_hex(4)}@example.test"
    with store.db.session(write=True) as s:
        user = User(idp_id="u" + secrets.token_hex(8), email=email, created_time=NOW, first_name="", last_name="",
                    organization="")
        s.add(user)
        s.flush()
        return email, Account(user.idp_id, "user")


def test_credit_add_in_dollars_or_cents(store):
    email, account = make_account_user(store)
    result = invoke(store, cli.credit_app, "add", "--user", email, "--amount", "12.50", "--note", "grant")
    assert result.exit_code == 0, result.output
    assert "balance $12.50 (1250 cents)" in result.output
    result = invoke(store, cli.credit_app, "add", "--user", email, "--cents", "5")
    assert result.exit_code == 0 and "balance $12.55 (1255 cents)" in result.output
    with store.db.session() as s:
        assert service.balance_cents(s, account) == 1255


def test_credit_add_finds_the_user_whatever_the_case_of_the_email(store):
    """Emails are stored lowercased; `admin credit add --user Alice@x` names the same user as `admin user`."""
    email, account = make_account_user(store)
    result = invoke(store, cli.credit_app, "add", "--user", f"  {email.upper()} ", "--cents", "7")
    assert result.exit_code == 0, result.output
    assert "balance $0.07 (7 cents)" in result.output
    balance = invoke(store, cli.credit_app, "balance", "--user", email.capitalize())
    assert balance.exit_code == 0 and "balance $0.07 (7 cents)" in balance.output
    with store.db.session() as s:
        assert service.balance_cents(s, account) == 7


def test_credit_add_for_a_group(store):
    name = "g-" + secrets.token_hex(4)
    with store.db.session(write=True) as s:
        s.add(Group(name=name, description="", created_time=NOW))
    assert invoke(store, cli.credit_app, "add", "--group", name, "--amount", "3").exit_code == 0
    with store.db.session() as s:
        assert service.balance_cents(s, Account(name, "group")) == 300


def test_credit_add_rejects_bad_input(store):
    email, account = make_account_user(store)
    for args in (["--user", email, "--amount", "1.234"], ["--user", email, "--amount", "ten"],
                 ["--user", email], ["--user", email, "--amount", "1", "--cents", "100"],
                 ["--user", email, "--cents", "-100"], ["--user", "nobody@example.test", "--amount", "1"],
                 ["--group", "no-such-group", "--amount", "1"], ["--amount", "1"]):
        result = invoke(store, cli.credit_app, "add", *args)
        assert result.exit_code == 1 and "error:" in result.output, args
    with store.db.session() as s:
        assert service.balance_cents(s, account) == 0


def test_price_set_and_set_event(store):
    pid = "Cli-" + secrets.token_hex(3)
    with store.db.session(write=True) as s:
        s.add(Processor(id=pid, family="Ankaa", public=True, noiseless=False, created_time=NOW))
    assert invoke(store, cli.price_app, "set", "--processor", pid, "--per-minute", "40").exit_code == 0
    assert invoke(store, cli.price_app, "set", "--processor", "nope", "--per-minute", "40").exit_code == 1
    start = NOW + timedelta(days=3)
    with store.db.session() as s:
        assert service.reservation_price_cents(s, pid, start, start + timedelta(minutes=15)) == 600
    result = invoke(store, cli.price_app, "set-event", "--product", "qpuJobTime", "--scheme", "tiered",
                    "--tiers-mode", "volume", "--tier", "100:2", "--tier", "inf:1:50", "--processor", pid)
    assert result.exit_code == 0, result.output
    with store.db.session() as s:
        rule = service.event_price(s, "qpuJobTime", pid).rule
        assert service.pricing.amount_cents(rule, 100) == 200 and service.pricing.amount_cents(rule, 101) == 151
    bad = invoke(store, cli.price_app, "set-event", "--product", "qpuJobTime", "--scheme", "tiered",
                 "--tiers-mode", "volume", "--tier", "100:2")
    assert bad.exit_code == 1 and "two tiers" in bad.output
    assert invoke(store, cli.price_app, "set-event", "--product", "lunch").exit_code == 1
    listing = invoke(store, cli.price_app, "list")
    assert listing.exit_code == 0 and f"{pid}: 40 cents per minute" in listing.output


def test_record_usage_charges_the_month_total_by_tiers(store):
    _, account = make_account_user(store)
    pid = "Use-" + secrets.token_hex(3)
    with store.db.session(write=True) as s:
        service.credit(s, account, 10_000, note="", at=NOW)
        service.set_event_price(s, "qpuJobTime", service.pricing.PriceRule(
            "tiered", tiers_mode="graduated",
            tiers=(service.pricing.Tier(10, service.pricing.Decimal(5)),
                   service.pricing.Tier(-1, service.pricing.Decimal(1)))), processor_id=pid, at=NOW)
        first = usage.record_usage(s, account, "qpuJobTime", 8, reference="job-1", at=NOW, processor_id=pid)
        second = usage.record_usage(s, account, "qpuJobTime", 4, reference="job-2", at=NOW, processor_id=pid)
        assert first and second and first != second
        assert usage.record_usage(s, account, "qpuJobTime", 0, reference="job-3", at=NOW, processor_id=pid) is None
    with store.db.session() as s:
        # 12 units in the month: 10 * 5 + 2 * 1 = 52, charged as 40 then 12
        assert service.balance_cents(s, account) == 10_000 - 52


def test_seed_is_idempotent(store):
    with store.db.session(write=True) as s:
        s.add(Processor(id="Seed-" + secrets.token_hex(3), family="Ankaa", public=True, noiseless=False,
                        created_time=NOW))
    identity_seed.seed_demo(store)
    seed.seed_demo(store)
    seed.seed_demo(store)
    with store.db.session() as s:
        demo = s.scalar(select(User.idp_id).where(User.email == seed.DEMO_EMAIL))
        assert service.balance_cents(s, Account(demo, "user")) == seed.DEMO_CREDIT_CENTS
        assert service.balance_cents(s, Account(seed.DEMO_GROUP, "group")) == seed.DEMO_CREDIT_CENTS
        assert s.scalar(select(func.count()).select_from(EventPrice).where(EventPrice.processor_id == "")) == 3
        unpriced = s.scalars(select(Processor.id).where(Processor.id.not_in(select(ProcessorPrice.processor_id))))
        assert list(unpriced) == []
