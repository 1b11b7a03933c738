"""The subject account of a request: a body field, else the X-QCS-ACCOUNT-ID/TYPE headers,
else the caller. Parsed once here for every operation that takes an account."""

from __future__ import annotations

from typing import Any

from litestar import Request

from openqcs.errors import InvalidArgument
from openqcs.identity.accounts import ACCOUNT_TYPES, Account
from openqcs.identity.principal import Principal


def account_from(
    request: Request[Any, Any, Any],
    principal: Principal,
    body_id: str | None = None,
    body_type: str | None = None,
) -> Account:
    """Body fields win over headers (spec: headers do not take precedence over the body)."""
    account_id = body_id or request.headers.get("x-qcs-account-id")
    account_type = body_type or request.headers.get("x-qcs-account-type")
    if account_type is not None and account_type not in ACCOUNT_TYPES:
        location = "body" if body_type else "header"
        name = "accountType" if body_type else "X-QCS-ACCOUNT-TYPE"
        raise InvalidArgument.field(location, name, f"account type must be one of {', '.join(ACCOUNT_TYPES)}")
    if not account_id:
        return Account.of_user(principal)
    return Account(account_id, account_type or "user")
