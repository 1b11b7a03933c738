"""The spec contract (``contract.json``), extracted from the QCS OpenAPI document by
``scripts/extract_contract.py``: operations, parameters, schemas, status codes."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

CONTRACT_PATH = Path(__file__).with_name("contract.json")
DEFAULT_PAGE_SIZE = 10


@cache
def contract() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(CONTRACT_PATH.read_text())
    return found


@cache
def operations() -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for op in contract()["operations"]}


def operation(operation_id: str) -> dict[str, Any]:
    return operations()[operation_id]


@cache
def page_size_limits(operation_id: str) -> tuple[int, int | None]:
    """(default, maximum) for ``pageSize`` as the spec states them for this operation."""
    for param in operation(operation_id)["parameters"]:
        if param["name"] == "pageSize":
            schema = param["schema"]
            return int(schema.get("default", DEFAULT_PAGE_SIZE)), schema.get("maximum")
    return DEFAULT_PAGE_SIZE, None

