"""Rigetti client configuration files (``settings.toml``, ``secrets.toml``): merge one profile
into whatever the files already hold, and write them back (a small TOML writer)."""

from __future__ import annotations

import json
import os
import re
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dumps(data: dict[str, Any]) -> str:
    lines: list[str] = []

    def table(path: list[str], body: dict[str, Any]) -> None:
        scalars = {k: v for k, v in body.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in body.items() if isinstance(v, dict)}
        if path and (scalars or not tables):
            lines.append(("\n" if lines else "") + "[" + ".".join(_key(p) for p in path) + "]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars.items())
        for name, sub in tables.items():
            table([*path, name], sub)

    table([], data)
    return "\n".join(lines) + "\n"


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _write(path: Path, text: str, private: bool) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def write_profile(directory: Path, profile: str, *, api_url: str, grpc_url: str, issuer: str, client_id: str,
                  access_token: str, refresh_token: str, applications: dict[str, str] | None = None,
                  ) -> tuple[Path, Path]:
    """Add or replace ``profile`` (and its auth server and credentials), make it the default,
    keep everything else in the files."""
    directory.mkdir(parents=True, exist_ok=True)
    settings_path, secrets_path = directory / "settings.toml", directory / "secrets.toml"
    settings = _load(settings_path)
    secrets = _load(secrets_path)
    settings["default_profile_name"] = profile
    settings.setdefault("auth_servers", {})[profile] = {"client_id": client_id, "issuer": issuer}
    existing = settings.setdefault("profiles", {}).get(profile, {})
    settings["profiles"][profile] = {**existing, "api_url": api_url, "grpc_api_url": grpc_url,
                                     "auth_server_name": profile, "credentials_name": profile}
    if applications:
        # pyquil reads quilc_url / qvm_url from the profile's applications.pyquil table.
        pyquil = settings["profiles"][profile].setdefault("applications", {}).setdefault("pyquil", {})
        pyquil.update(applications)
    secrets.setdefault("credentials", {})[profile] = {"token_payload": {
        "access_token": access_token, "refresh_token": refresh_token, "token_type": "Bearer"}}
    _write(settings_path, dumps(settings), private=False)
    _write(secrets_path, dumps(secrets), private=True)
    return settings_path, secrets_path
