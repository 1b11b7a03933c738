"""Rigetti's real client packages from PyPI, each in its own virtualenv.

pyquil 4.22 pins qcs-sdk-python 0.21.x, while qcs-sdk-python 0.31.x and qcs-api-client
0.27.x need other versions of qcs-api-client-common, so each gets a venv under
``.venv-clients/<name>`` (built once, rebuilt when its pins change). Tests run small scripts
there that print JSON, and assert on what they print.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / ".venv-clients"

PINS = {
    "api": ["qcs-api-client==0.27.8"],
    "sdk": ["qcs-sdk-python==0.31.1"],
    "pyquil": ["pyquil==4.22.0", "qcs-api-client==0.27.8"],
}


def client_python(name: str) -> Path:
    """The python of the ``name`` venv, created on first use (safe across parallel processes)."""
    venv = VENVS / name
    python = venv / "bin" / "python"
    digest = hashlib.sha256(json.dumps(PINS[name]).encode()).hexdigest()[:12]
    stamp = venv / f".pins-{digest}"
    VENVS.mkdir(exist_ok=True)
    with open(VENVS / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS[name]], check=True)
            stamp.touch()
    return python


def write_qcs_config(directory: Path, *, api_url: str, grpc_url: str, issuer: str, access_token: str,
                     refresh_token: str = "unused-refresh-token", profile: str = "openqcs",
                     quilc_url: str = "tcp://127.0.0.1:5555", qvm_url: str = "http://127.0.0.1:5000") -> dict[str, str]:
    """settings.toml + secrets.toml pointing every client at a server; returns the env that selects them."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "settings.toml").write_text(textwrap.dedent(f"""\
        default_profile_name = "{profile}"

        [auth_servers.{profile}]
        client_id = "openqcs"
        issuer = "{issuer}"

        [profiles.{profile}]
        api_url = "{api_url}"
        grpc_api_url = "{grpc_url}"
        auth_server_name = "{profile}"
        credentials_name = "{profile}"

        [profiles.{profile}.applications.pyquil]
        quilc_url = "{quilc_url}"
        qvm_url = "{qvm_url}"
        """))
    (directory / "secrets.toml").write_text(textwrap.dedent(f"""\
        [credentials.{profile}.token_payload]
        access_token = "{access_token}"
        refresh_token = "{refresh_token}"
        token_type = "Bearer"
        """))
    return {
        "QCS_SETTINGS_FILE_PATH": str(directory / "settings.toml"),
        "QCS_SECRETS_FILE_PATH": str(directory / "secrets.toml"),
        "QCS_PROFILE_NAME": profile,
    }


def run_client(name: str, script: str, env: dict[str, str], timeout: float = 120) -> object:
    """Run ``script`` in the ``name`` venv; it must print one JSON document on its last line."""
    python = client_python(name)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("QCS_", "OPENQCS_", "VIRTUAL_ENV"))}
    result = subprocess.run([str(python), "-c", textwrap.dedent(script)], env={**clean, **env},
                            capture_output=True, text=True, timeout=timeout)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    # qcs-sdk 0.31 may abort at interpreter exit after success (client-compat §6): trust the output.
    if not lines:
        raise AssertionError(f"{name} client printed nothing (exit {result.returncode}):\n{result.stderr[-4000:]}")
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError:
        raise AssertionError(f"{name} client output is not JSON:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}") from None
