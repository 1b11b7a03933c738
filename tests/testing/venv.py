"""A user's virtualenv: pyquil 4.22, qcs-api-client and pytest, plus openqcs from this tree
installed without its dependencies (the plugin and its handle use the standard library; the
server runs on an interpreter that has them, ``--openqcs-python``).

openqcs cannot yet be installed *with* its dependencies beside pyquil 4.22: pyquil needs
``quil<0.34``, PyPI's only final release below 0.34 is 0.18.0 (0.19-0.33 exist only as release
candidates, and pyquil 4.22 does not import with 0.33.0rc4), and openqcs's simulator needs the
``quil>=0.34`` API.

Built once under ``.venv-clients/plugin`` (a lock for parallel sessions, a stamp of the pins
so a change rebuilds it)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from tests.support.clients import ROOT, VENVS

PINS = ["pyquil==4.22.0", "qcs-api-client==0.27.8", "pytest>=8.3,<9"]


def plugin_python() -> Path:
    venv = VENVS / "plugin"
    python = venv / "bin" / "python"
    key = json.dumps(PINS) + "no-deps"
    stamp = venv / f".pins-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    VENVS.mkdir(exist_ok=True)
    with open(VENVS / ".plugin.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)], check=True)
            stamp.touch()
    return python


if __name__ == "__main__":
    print(plugin_python())
