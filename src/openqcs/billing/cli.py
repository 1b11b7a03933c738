"""``openqcs admin credit …`` and ``openqcs admin price …``.

Credit amounts are given in US dollars (``--amount 12.50``) or in cents (``--cents 1250``);
prices are always in cents.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from sqlalchemy import select

from openqcs.billing import pricing, service
from openqcs.billing.models import EventPrice, ProcessorPrice
from openqcs.commands import DatabaseUrl, DataDir
from openqcs.commands import admin_context as _context
from openqcs.errors import InvalidArgument
from openqcs.identity.accounts import named_account

credit_app = typer.Typer(help="Account credit (the billing ledger).", no_args_is_help=True)
price_app = typer.Typer(help="Reservation and event prices (in cents).", no_args_is_help=True)
groups = {"credit": credit_app, "price": price_app}

UserEmail = Annotated[str | None, typer.Option("--user", help="The user account, by email.")]
GroupName = Annotated[str | None, typer.Option("--group", help="The group account, by name.")]


def cents_from(amount: str | None, cents: int | None) -> int:
    """``--amount`` dollars (at most 2 decimals) or ``--cents``, exactly one, as whole cents."""
    if (amount is None) == (cents is None):
        raise InvalidArgument("give the amount once: --amount DOLLARS or --cents CENTS")
    if cents is not None:
        return cents
    try:
        dollars = Decimal((amount or "").strip().lstrip("$"))
    except InvalidOperation:
        raise InvalidArgument(f"--amount must be a number of dollars, not {amount!r}") from None
    value = dollars * 100
    if not value.is_finite() or value != value.to_integral_value():
        raise InvalidArgument(f"--amount must have at most 2 decimals, not {amount!r}")
    return int(value)


def describe(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100}.{abs(cents) % 100:02d} ({cents} cents)"


@credit_app.command("add")
def credit_add(
    user: UserEmail = None,
    group: GroupName = None,
    amount: Annotated[str | None, typer.Option("--amount", help="US dollars, e.g. 25 or 12.50.")] = None,
    cents: Annotated[int | None, typer.Option("--cents", help="Cents instead of --amount, e.g. 1250.")] = None,
    note: Annotated[str, typer.Option("--note", help="Shown on the invoice line.")] = "Credit",
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Add credit to a user's or group's account; prints the new balance."""
    with _context(database_url, data_dir) as ctx:
        value = cents_from(amount, cents)
        with ctx.db.session(write=True) as session:
            account = named_account(session, user_email=user, group_name=group)
            item = service.credit(session, account, value, note=note, at=ctx.clock.now())
            balance = service.balance_cents(session, account)
        typer.echo(f"credited {describe(value)} to {account.type} {user or group} ({item}); "
                   f"balance {describe(balance)}")


@credit_app.command("balance")
def credit_balance(user: UserEmail = None, group: GroupName = None, database_url: DatabaseUrl = None,
                   data_dir: DataDir = None) -> None:
    """Show an account's credit left to spend."""
    with _context(database_url, data_dir) as ctx, ctx.db.session() as session:
        account = named_account(session, user_email=user, group_name=group)
        typer.echo(f"balance {describe(service.balance_cents(session, account))}")


@price_app.command("set")
def price_set(
    processor: Annotated[str, typer.Option("--processor", help="Quantum processor id.")],
    per_minute: Annotated[int, typer.Option("--per-minute", help="Reservation price in cents per minute.")],
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Set a processor's reservation price (cents per minute)."""
    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            service.set_processor_price(session, processor, per_minute, at=ctx.clock.now())
        typer.echo(f"{processor}: {per_minute} cents per minute ({describe(per_minute * 60)} per hour)")


def parse_tier(text: str) -> pricing.Tier:
    """``UPTO:UNIT[:FLAT]`` in cents; UPTO ``inf`` (or -1) for the last tier."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise InvalidArgument(f"--tier must be UPTO:UNIT_CENTS[:FLAT_CENTS], not {text!r}")
    up_to = -1 if parts[0] in ("inf", "-1") else None
    if up_to is None:
        try:
            up_to = int(parts[0])
        except ValueError:
            raise InvalidArgument(f"--tier bound must be an integer or 'inf', not {parts[0]!r}") from None
    flat = pricing.decimal_of(parts[2], "flat amount") if len(parts) == 3 else Decimal(0)
    return pricing.Tier(up_to, pricing.decimal_of(parts[1], "unit amount"), flat)


@price_app.command("set-event")
def price_set_event(
    product: Annotated[str, typer.Option("--product", help=" | ".join(service.PRODUCTS))],
    scheme: Annotated[str, typer.Option("--scheme", help="per_unit | tiered")] = "per_unit",
    unit_amount: Annotated[str, typer.Option("--unit-amount",
                                             help="Cents per unit (per_unit; may be fractional).")] = "0",
    tiers_mode: Annotated[str, typer.Option("--tiers-mode", help="graduated | volume (tiered).")] = "",
    tier: Annotated[list[str] | None,
                    typer.Option("--tier", help="UPTO:UNIT[:FLAT] cents, repeat; last UPTO 'inf'.")] = None,
    processor: Annotated[str, typer.Option("--processor", help="Only for this processor (default: all).")] = "",
    unit_label: Annotated[str | None, typer.Option("--unit-label")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Set the price of a product (reservationCreation, qpuJobCompletion, qpuJobTime)."""
    with _context(database_url, data_dir) as ctx:
        rule = pricing.PriceRule(scheme, pricing.decimal_of(unit_amount, "--unit-amount"), tiers_mode,
                                 tuple(parse_tier(t) for t in tier or ()))
        with ctx.db.session(write=True) as session:
            info = service.set_event_price(session, product, rule, at=ctx.clock.now(), processor_id=processor,
                                           unit_label=unit_label)
        typer.echo(f"{product} ({processor or 'any processor'}): "
                   f"{_rule_text(info.rule)} per unit ({info.unit_label})")


def _rule_text(rule: pricing.PriceRule) -> str:
    if rule.scheme == "per_unit":
        return f"{rule.unit_amount} cents"
    tiers = ", ".join(f"{'inf' if t.up_to == -1 else t.up_to}:{t.unit_amount}:{t.flat_amount}" for t in rule.tiers)
    return f"{rule.tiers_mode} tiers [{tiers}] cents"


@price_app.command("list")
def price_list(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Show processor and event prices (defaults where none is set)."""
    with _context(database_url, data_dir) as ctx, ctx.db.session() as session:
        typer.echo(f"default reservation price: {service.DEFAULT_PER_MINUTE_CENTS} cents per minute")
        for row in session.scalars(select(ProcessorPrice).order_by(ProcessorPrice.processor_id)):
            typer.echo(f"{row.processor_id}: {row.per_minute_cents} cents per minute")
        configured = {(r.product, r.processor_id) for r in session.scalars(select(EventPrice))}
        for product in service.PRODUCTS:
            for processor in sorted({p for (prod, p) in configured if prod == product} | {""}):
                info = service.event_price(session, product, processor)
                origin = "default" if info.id == 0 else f"#{info.id}"
                typer.echo(f"{product} ({processor or 'any processor'}, {origin}): "
                           f"{_rule_text(info.rule)} per unit ({info.unit_label})")
