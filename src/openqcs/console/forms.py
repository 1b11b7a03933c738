"""Reading console form and query values into typed values, with errors in words."""

from __future__ import annotations

from datetime import UTC, datetime

from openqcs.errors import InvalidArgument, NotFound
from openqcs.identity.accounts import Account
from openqcs.identity.principal import Principal


def account(raw: str | None, me: Principal) -> Account:
    """``user`` (the caller) or ``group:<name>``."""
    if not raw or raw == "user":
        return Account.of_user(me)
    kind, _, name = raw.partition(":")
    if kind != "group" or not name:
        raise InvalidArgument("choose your own account or one of your groups")
    return Account(name, "group")


def when(raw: str | None, name: str) -> datetime:
    """An ISO time; one without a zone (a browser's datetime-local) is taken as UTC."""
    try:
        value = datetime.fromisoformat((raw or "").replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgument(f"{name} must be a date and time like 2026-01-31T14:00") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def whole(raw: str | None, name: str, *, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        raise InvalidArgument(f"{name} must be a whole number") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidArgument(f"{name} must be between {low} and {high}")
    return value


def cents(raw: str | None, name: str) -> int:
    """Dollars as typed ("12.50") to cents."""
    try:
        value = round(float((raw or "").replace("$", "").replace(",", "")) * 100)
    except ValueError:
        raise InvalidArgument(f"{name} must be an amount in dollars, like 25.00") from None
    if not 0 < value < 10**11:
        raise InvalidArgument(f"{name} must be more than $0 and less than $1,000,000,000")
    return value


def record_id(value: int, what: str) -> int:
    """Ids beyond what the databases' integers hold cannot exist (and must not reach SQL)."""
    if not 0 < value < 2**63:
        raise NotFound(f"{what} {value} not found")
    return value
