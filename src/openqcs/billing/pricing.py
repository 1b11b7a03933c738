"""Price arithmetic, pure and exact: per-unit and tiered (graduated / volume) schemes.

All amounts are cents (the currency's smallest unit, as in the spec's ``BillingPrice``);
unit amounts may be fractional, so sums are kept as ``Decimal`` and rounded once, half up,
to whole cents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from openqcs.errors import InvalidArgument

SCHEMES = ("per_unit", "tiered")
TIERS_MODES = ("graduated", "volume")


@dataclass(frozen=True)
class Tier:
    up_to: int  # inclusive upper bound of quantity; -1 = no bound (the last tier)
    unit_amount: Decimal = Decimal(0)
    flat_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class PriceRule:
    scheme: str
    unit_amount: Decimal = Decimal(0)
    tiers_mode: str = ""
    tiers: tuple[Tier, ...] = ()


def decimal_of(value: object, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidArgument(f"{what} must be a number, not {value!r}") from None
    if not number.is_finite() or number < 0:
        raise InvalidArgument(f"{what} must be a finite number >= 0, not {value!r}")
    return number


def validate(rule: PriceRule) -> PriceRule:
    """Raise InvalidArgument unless the rule is usable; return it."""
    if rule.scheme not in SCHEMES:
        raise InvalidArgument(f"scheme must be one of {', '.join(SCHEMES)}, not {rule.scheme!r}")
    if rule.scheme == "per_unit":
        return rule
    if rule.tiers_mode not in TIERS_MODES:
        raise InvalidArgument(f"tiers mode must be one of {', '.join(TIERS_MODES)}, not {rule.tiers_mode!r}")
    if len(rule.tiers) < 2:
        raise InvalidArgument("a tiered price needs at least two tiers")
    bounds = [t.up_to for t in rule.tiers]
    if bounds[-1] != -1 or -1 in bounds[:-1]:
        raise InvalidArgument("only the last tier is open ended (upTo -1)")
    if any(b <= 0 for b in bounds[:-1]) or bounds[:-1] != sorted(set(bounds[:-1])):
        raise InvalidArgument("tier upTo bounds must be positive and strictly increasing")
    return rule


def _round(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _graduated(tiers: Sequence[Tier], quantity: int) -> Decimal:
    total = Decimal(0)
    lower = 0
    for tier in tiers:
        upper = quantity if tier.up_to == -1 else min(quantity, tier.up_to)
        portion = upper - lower
        if portion <= 0:
            break
        total += tier.unit_amount * portion + tier.flat_amount
        lower = upper
    return total


def _volume(tiers: Sequence[Tier], quantity: int) -> Decimal:
    for tier in tiers:
        if tier.up_to == -1 or quantity <= tier.up_to:
            return tier.unit_amount * quantity + tier.flat_amount
    raise AssertionError("validated tiers end with an open tier")


def exact_amount(rule: PriceRule, quantity: int) -> Decimal:
    """The unrounded price of ``quantity`` units (0 for no units)."""
    if quantity < 0:
        raise InvalidArgument(f"quantity must be >= 0, not {quantity}")
    if quantity == 0:
        return Decimal(0)
    if rule.scheme == "per_unit":
        return rule.unit_amount * quantity
    if rule.tiers_mode == "graduated":
        return _graduated(rule.tiers, quantity)
    return _volume(rule.tiers, quantity)


def amount_cents(rule: PriceRule, quantity: int) -> int:
    """The price of ``quantity`` units in whole cents."""
    return _round(exact_amount(rule, quantity))


def tiers_from_json(items: Sequence[dict[str, Any]]) -> tuple[Tier, ...]:
    """Tiers in the spec's wire shape (``upTo``, ``unitAmount``/``unitAmountDecimal``, ``flatAmount``…)."""
    tiers = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "upTo" not in item:
            raise InvalidArgument(f"tier {i} needs an upTo")
        try:
            up_to = int(item["upTo"])
        except (TypeError, ValueError):
            raise InvalidArgument(f"tier {i}: upTo must be an integer") from None
        unit = item.get("unitAmountDecimal", item.get("unitAmount", 0))
        flat = item.get("flatAmountDecimal", item.get("flatAmount", 0))
        tiers.append(Tier(up_to, decimal_of(unit, f"tier {i} unit amount"), decimal_of(flat, f"tier {i} flat amount")))
    return tuple(tiers)


def tiers_to_json(tiers: Sequence[Tier]) -> list[dict[str, Any]]:
    return [{"upTo": t.up_to, "unitAmountDecimal": str(t.unit_amount), "flatAmountDecimal": str(t.flat_amount)}
            for t in tiers]
