"""An OpenAPI 3.1 document rebuilt from the committed contract, for schemathesis.

Secured operations also list 401/403 (the spec's security schemes say they can answer so),
operations with input list 422, and every operation lists the statuses any request may meet:
413, 429, 503.
"""

from __future__ import annotations

import copy
from typing import Any

from openqcs.http.contract import contract

ERROR = {"$ref": "#/components/schemas/Error"}


def _content(media: dict[str, Any] | None) -> dict[str, Any]:
    if not media:
        return {}
    return {"content": {media["mediaType"]: {"schema": media["schema"]}}}


def openapi_document() -> dict[str, Any]:
    c = copy.deepcopy(contract())
    paths: dict[str, dict[str, Any]] = {}
    for op in c["operations"]:
        responses = {code: {"description": code, **_content(media)} for code, media in op["responses"].items()}
        extra = ["413", "429", "503"] + (["401", "403"] if op["security"] else [])
        if op["parameters"] or op["requestBody"]:
            extra.append("422")  # invalid input, wherever the spec's list forgets it (AIP-193)
        for code in extra:
            responses.setdefault(code, {"description": code, "content": {"application/json": {"schema": ERROR}}})
        entry: dict[str, Any] = {
            "operationId": op["operationId"],
            "parameters": [
                {"name": p["name"], "in": p["in"], "required": p["required"], "schema": p["schema"]}
                for p in op["parameters"]
            ],
            "responses": responses,
        }
        if op["requestBody"]:
            entry["requestBody"] = {"required": op["requestBody"]["required"], **_content(op["requestBody"])}
        if op["security"]:
            entry["security"] = [{name: []} for name in op["security"]]
        paths.setdefault(op["path"], {})[op["method"].lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": c["info"],
        "paths": paths,
        "components": {
            "schemas": c["schemas"],
            "securitySchemes": {
                "JWTBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "JWTBearerOptional": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }
