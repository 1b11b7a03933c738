"""Tiered and per-unit price arithmetic, table driven (amounts in cents)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openqcs.billing.pricing import PriceRule, Tier, amount_cents, tiers_from_json, validate
from openqcs.errors import InvalidArgument

# 0-100 units at 5c, 101-1000 at 3c, the rest at 1c; the second tier also costs a 200c flat fee.
TIERS = (Tier(100, Decimal(5)), Tier(1000, Decimal(3), Decimal(200)), Tier(-1, Decimal(1)))
GRADUATED = PriceRule("tiered", tiers_mode="graduated", tiers=TIERS)
VOLUME = PriceRule("tiered", tiers_mode="volume", tiers=TIERS)


@pytest.mark.parametrize(("rule", "quantity", "cents"), [
    (PriceRule("per_unit", Decimal(7)), 0, 0),
    (PriceRule("per_unit", Decimal(7)), 3, 21),
    (PriceRule("per_unit", Decimal("0.0001")), 12_345, 1),        # 1.2345 -> 1
    (PriceRule("per_unit", Decimal("0.0001")), 15_000, 2),        # 1.5 rounds half up
    (PriceRule("per_unit", Decimal("0.0001")), 4_999, 0),
    (GRADUATED, 1, 5),
    (GRADUATED, 100, 500),                                        # exactly the first bound
    (GRADUATED, 101, 500 + 3 + 200),                              # enters tier 2: its flat fee too
    (GRADUATED, 1000, 500 + 900 * 3 + 200),
    (GRADUATED, 1001, 500 + 900 * 3 + 200 + 1),
    (GRADUATED, 5000, 500 + 2700 + 200 + 4000),
    (VOLUME, 1, 5),
    (VOLUME, 100, 500),
    (VOLUME, 101, 101 * 3 + 200),                                 # the whole quantity at tier 2
    (VOLUME, 1000, 3000 + 200),
    (VOLUME, 1001, 1001),                                         # cheaper once past 1000
    (VOLUME, 0, 0),
])
def test_amounts(rule, quantity, cents):
    assert amount_cents(validate(rule), quantity) == cents


def test_fractional_tier_amounts_round_once():
    rule = PriceRule("tiered", tiers_mode="graduated",
                     tiers=(Tier(3, Decimal("0.3")), Tier(-1, Decimal("0.15"))))
    # 3 * 0.3 + 2 * 0.15 = 1.2 -> 1;  3 * 0.3 + 4 * 0.15 = 1.5 -> 2 (half up)
    assert amount_cents(rule, 5) == 1
    assert amount_cents(rule, 7) == 2


@pytest.mark.parametrize("rule", [
    PriceRule("flat"),
    PriceRule("tiered", tiers_mode="graduated", tiers=(Tier(-1, Decimal(1)),)),  # one tier
    PriceRule("tiered", tiers_mode="graduated", tiers=(Tier(10), Tier(20))),  # no open last tier
    PriceRule("tiered", tiers_mode="volume", tiers=(Tier(10), Tier(5), Tier(-1))),  # decreasing
    PriceRule("tiered", tiers_mode="volume", tiers=(Tier(-1), Tier(-1))),
    PriceRule("tiered", tiers_mode="stairs", tiers=(Tier(10), Tier(-1))),
])
def test_invalid_rules_are_rejected(rule):
    with pytest.raises(InvalidArgument):
        validate(rule)


def test_tiers_from_wire_shape():
    tiers = tiers_from_json([{"upTo": 10, "unitAmount": 2}, {"upTo": -1, "unitAmountDecimal": 0.5, "flatAmount": 3}])
    assert tiers == (Tier(10, Decimal(2)), Tier(-1, Decimal("0.5"), Decimal(3)))
    with pytest.raises(InvalidArgument):
        tiers_from_json([{"unitAmount": 2}])
    with pytest.raises(InvalidArgument):
        tiers_from_json([{"upTo": 1, "unitAmount": -2}])
