"""Validates HTTP responses against the spec contract (``openqcs/http/contract.json``).

Used as an httpx response hook, so every response a test receives through the shared
clients is checked: status code listed for the operation, body schema, and every error in
the spec's ``Error`` shape.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker

from openqcs.http.contract import contract, operations

# Answers any operation may give: rate limiting, overload, oversized bodies.
ALWAYS_ALLOWED = {"413", "429", "503"}
# Operations with bearer security answer 401/403 even where the spec's list omits them
# (its security scheme text says so).
SECURED_ALLOWED = {"401", "403"}


class ContractViolation(AssertionError):
    pass


@cache
def _routes() -> list[tuple[str, re.Pattern[str], dict[str, Any]]]:
    routes = []
    for op in operations().values():
        pattern = re.sub(r"\{[^}]+\}", "[^/:]+", re.escape(op["path"]).replace(r"\{", "{").replace(r"\}", "}"))
        routes.append((op["method"], re.compile(f"^{pattern}$"), op))
    # Literal paths before templated ones.
    routes.sort(key=lambda r: r[2]["path"].count("{"))
    return routes


def find_operation(method: str, path: str) -> dict[str, Any] | None:
    for op_method, pattern, op in _routes():
        if op_method == method and pattern.match(path):
            return op
    return None


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    schema = json.loads(schema_json)
    root = {**schema, "components": {"schemas": contract()["schemas"]}}
    return Draft202012Validator(root, format_checker=FormatChecker())


def validate_schema(schema: dict[str, Any], body: Any, where: str) -> None:
    errors = sorted(_validator(json.dumps(schema, sort_keys=True)).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message[:300]}" for e in errors[:5])
        raise ContractViolation(f"{where}: body does not match the spec: {details}")


ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


def check_response(response: httpx.Response) -> dict[str, Any] | None:
    """Raise ContractViolation if ``response`` breaks the contract; return its operation."""
    request = response.request
    op = find_operation(request.method, request.url.path)
    status = str(response.status_code)
    where = f"{request.method} {request.url.path} -> {status}"
    if response.status_code >= 500 and status not in ALWAYS_ALLOWED:
        raise ContractViolation(f"{where}: server error: {response.text[:500]}")
    if op is None:
        if response.status_code >= 400:
            validate_schema(ERROR_SCHEMA, response.json(), where)
        return None
    where = f"{op['operationId']}: {where}"
    listed = op["responses"]
    allowed = set(listed) | ALWAYS_ALLOWED | (SECURED_ALLOWED if op["security"] else set())
    if op["parameters"] or op["requestBody"]:
        allowed.add("422")  # invalid input, wherever the spec's list forgets it
    if status not in allowed and "default" not in listed:
        raise ContractViolation(f"{where}: status not listed for the operation (listed: {sorted(listed)})")
    spec = listed.get(status)
    if response.status_code >= 400:
        validate_schema(ERROR_SCHEMA, response.json(), where)
        if spec and spec.get("schema"):
            validate_schema(spec["schema"], response.json(), where)
        return op
    if response.status_code == 204 or spec is None:
        if response.content and response.status_code == 204:
            raise ContractViolation(f"{where}: 204 with a body")
        return op
    content_type = response.headers.get("content-type", "")
    if spec["mediaType"].split(";")[0] not in content_type:
        raise ContractViolation(f"{where}: content-type {content_type!r}, spec says {spec['mediaType']!r}")
    if "json" in spec["mediaType"]:
        validate_schema(spec["schema"], response.json(), where)
    return op


def contract_hook(response: httpx.Response) -> None:
    response.read()
    check_response(response)
