"""List conventions (Google AIP), written once for every list operation.

- ``pageSize``: default and maximum from the spec contract; <= 0 or above a stated maximum is
  422; otherwise capped at 1000 (AIP-158).
- ``pageToken``: opaque, signed, bound to the query that issued it (same filter, order,
  scope); ``nextPageToken`` is *omitted* on the last page (an empty string makes Rigetti's
  SDKs loop forever).
- ``filter``: rule-engine grammar over the resource's wire field names (AIP-160 in spirit).
- ``order``: ``field``, ``field desc``, comma lists (AIP-132).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from openqcs.errors import InvalidArgument
from openqcs.http.contract import page_size_limits
from openqcs.http.tokens import Signer

if TYPE_CHECKING:
    import rule_engine

T = TypeVar("T")
AIP_MAX_PAGE_SIZE = 1000


@cache
def _rule_engine() -> Any:
    """rule-engine builds its parser at import (~0.6 s): load it on the first filter, not at start-up."""
    import rule_engine

    return rule_engine


def _rule_type(python_type: type) -> Any:
    types = _rule_engine().DataType
    return {str: types.STRING, int: types.FLOAT, float: types.FLOAT, bool: types.BOOLEAN,
            datetime: types.DATETIME, list: types.ARRAY}.get(python_type, types.UNDEFINED)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str | None


@dataclass(frozen=True)
class ListQuery:
    page_size: int
    offset: int
    rule: rule_engine.Rule | None
    order: tuple[tuple[str, bool], ...]
    show_deleted: bool
    fingerprint: str


def parse_page_size(raw: str | int | None, operation_id: str) -> int:
    default, maximum = page_size_limits(operation_id)
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise InvalidArgument.field("query", "pageSize", "pageSize must be an integer") from None
    if size <= 0:
        raise InvalidArgument.field("query", "pageSize", "pageSize must be greater than 0")
    if maximum is not None and size > maximum:
        raise InvalidArgument.field("query", "pageSize", f"pageSize must be at most {maximum}")
    return min(size, AIP_MAX_PAGE_SIZE)


def parse_filter(text: str | None, fields: Mapping[str, type]) -> rule_engine.Rule | None:
    if not text or not text.strip():
        return None
    if len(text) > 4096:
        raise InvalidArgument.field("query", "filter", "filter is longer than 4096 characters")
    rule_engine = _rule_engine()
    resolver = rule_engine.type_resolver_from_dict({k: _rule_type(v) for k, v in fields.items()})
    context = rule_engine.Context(type_resolver=resolver, default_timezone="UTC")
    try:
        return rule_engine.Rule(text, context=context)
    except rule_engine.errors.SymbolResolutionError as exc:
        known = ", ".join(sorted(fields))
        raise InvalidArgument.field("query", "filter", f"unknown field '{exc.symbol_name}' (known: {known})") from None
    except rule_engine.errors.EngineError as exc:
        raise InvalidArgument.field("query", "filter", f"invalid filter: {exc.message}") from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise InvalidArgument.field("query", "filter", f"invalid filter: {exc}") from None


def parse_order(text: str | None, fields: Iterable[str], default: str = "") -> tuple[tuple[str, bool], ...]:
    text = text if text and text.strip() else default
    allowed = set(fields)
    order = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        words = part.split()
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise InvalidArgument.field("query", "order",
                                        f"cannot parse order term '{part}'; use 'field' or 'field desc'")
        if words[0] not in allowed:
            known = ", ".join(sorted(allowed))
            raise InvalidArgument.field("query", "order", f"cannot order by '{words[0]}' (known: {known})")
        order.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return tuple(order)


def parse_show_deleted(raw: str | None) -> bool:
    if raw in (None, "", "false"):
        return False
    if raw == "true":
        return True
    raise InvalidArgument.field("query", "showDeleted", "showDeleted must be 'true' or 'false'")


def list_query(
    params: Mapping[str, Any],
    *,
    operation_id: str,
    signer: Signer,
    scope: str = "",
    fields: Mapping[str, type] | None = None,
    default_order: str = "",
) -> ListQuery:
    """Parse the list parameters of one request; ``scope`` binds tokens to the caller/parent."""
    fields = fields or {}
    rule = parse_filter(params.get("filter"), fields) if fields else None
    order = parse_order(params.get("order"), fields, default_order) if fields else ()
    show_deleted = parse_show_deleted(params.get("showDeleted"))
    fingerprint = hashlib.sha256(
        "\x1f".join([operation_id, scope, params.get("filter") or "", repr(order), str(show_deleted)]).encode()
    ).hexdigest()[:16]
    offset = 0
    token = params.get("pageToken")
    if token:
        payload = signer.unsign(token)
        if payload.get("f") != fingerprint or not isinstance(payload.get("o"), int) or payload["o"] < 0:
            raise InvalidArgument.field("query", "pageToken", "pageToken was issued for a different request")
        offset = payload["o"]
    page_size = parse_page_size(params.get("pageSize"), operation_id)
    return ListQuery(page_size, offset, rule, order, show_deleted, fingerprint)


def _sort_key(value: Any) -> tuple[bool, Any]:
    # None sorts last; everything else by its own ordering.
    return (value is None, value if value is not None else 0)


def paginate(
    items: Sequence[T] | Iterable[T],
    query: ListQuery,
    signer: Signer,
    fields_of: Callable[[T], Mapping[str, Any]] | None = None,
) -> Page[T]:
    """Filter, order and cut one page from ``items`` (already scoped to what the caller may see)."""
    rows = list(items)
    if query.rule is not None or query.order:
        assert fields_of is not None, "filter/order need fields_of"
        keyed = [(fields_of(item), item) for item in rows]
        if query.rule is not None:
            try:
                keyed = [(f, item) for f, item in keyed if query.rule.matches(f)]
            except _rule_engine().errors.EngineError as exc:
                raise InvalidArgument.field("query", "filter", f"filter cannot be evaluated: {exc.message}") from None
        for name, desc in reversed(query.order):  # stable sorts, last key first
            keyed.sort(key=lambda pair: _sort_key(pair[0].get(name)), reverse=desc)
            if desc:  # keep missing values last in both directions
                keyed.sort(key=lambda pair: pair[0].get(name) is None)
        rows = [item for _, item in keyed]
    end = query.offset + query.page_size
    page = rows[query.offset : end]
    token = signer.sign({"o": end, "f": query.fingerprint}) if end < len(rows) else None
    return Page(page, token)
