"""Extract the machine-readable contract from the QCS OpenAPI document.

Keeps operations, parameters, request/response schemas and status codes; drops prose.
Schemas are converted from OpenAPI 3.0 dialect to JSON Schema 2020-12 so that a
standard validator can check responses against them.

    python scripts/extract_contract.py ../shared/reference/qcs-openapi.yml
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

PROSE = {"description", "title", "example", "examples", "summary", "externalDocs", "x-logo", "deprecated"}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
OUT = Path(__file__).resolve().parents[1] / "src" / "openqcs" / "http" / "contract.json"


def convert(schema):
    """OpenAPI 3.0 schema -> JSON Schema 2020-12, without prose."""
    if isinstance(schema, list):
        return [convert(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if (key in PROSE and not isinstance(value, dict | list)) or key in ("description", "title", "example"):
            continue
        if key == "properties":
            out[key] = {name: convert(sub) for name, sub in value.items()}
        else:
            out[key] = convert(value)
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "$ref" in out or "allOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if out.get(exclusive) is True:
            out[exclusive] = out.pop(bound)
        elif out.get(exclusive) is False:
            out.pop(exclusive)
    return out


def json_schema(content: dict | None):
    if not content:
        return None
    media, body = next(iter(content.items()))
    return {"mediaType": media, "schema": convert(body.get("schema", {}))}


def resolve_param(param: dict, components: dict) -> dict:
    if "$ref" in param:
        param = components["parameters"][param["$ref"].rsplit("/", 1)[1]]
    return {
        "name": param["name"],
        "in": param["in"],
        "required": bool(param.get("required", param["in"] == "path")),
        "schema": convert(param.get("schema", {})),
    }


def extract(doc: dict) -> dict:
    components = doc["components"]
    operations = []
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in METHODS:
                continue
            security = op.get("security", doc.get("security")) or []
            schemes = sorted({name for req in security for name in req})
            body = op.get("requestBody")
            operations.append(
                {
                    "operationId": op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "security": schemes,
                    "parameters": [resolve_param(p, components) for p in shared + op.get("parameters", [])],
                    "requestBody": (
                        {"required": bool(body.get("required")), **json_schema(body.get("content"))}
                        if body
                        else None
                    ),
                    "responses": {
                        code: json_schema(resp.get("content")) for code, resp in op.get("responses", {}).items()
                    },
                }
            )
    return {
        "info": {"title": doc["info"]["title"], "version": str(doc["info"]["version"])},
        "operations": operations,
        "schemas": {name: convert(s) for name, s in components["schemas"].items()},
    }


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/qcs-openapi.yml")
    contract = extract(yaml.safe_load(source.read_text()))
    OUT.write_text(json.dumps(contract, indent=1, sort_keys=True) + "\n")
    print(f"{len(contract['operations'])} operations -> {OUT}")


if __name__ == "__main__":
    main()
