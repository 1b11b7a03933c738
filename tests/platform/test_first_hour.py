"""A new user's first commands, started in a shell without the server's OPENQCS_* variables."""

from __future__ import annotations

import os
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.support.databases import postgres_database
from tests.support.server import OPENQCS, free_port

COMMANDS = [
    ["client-config", "--user", "demo@openqcs.local", "--dir", "qcs"],
    ["admin", "user", "list"],
    ["admin", "token", "issue", "--user", "demo@openqcs.local"],
    ["admin", "processor", "list"],
    ["admin", "credit", "balance", "--user", "demo@openqcs.local"],
    ["seed", "--demo"],
    ["reset", "--yes"],
    ["state", "export", "out.json"],
]


def run_bare(cwd, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENQCS_")}
    return subprocess.run([OPENQCS, *args], cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=120)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_without_a_database_a_command_says_what_is_missing_and_creates_nothing(command, tmp_path):
    line = one_line_error(run_bare(tmp_path, *command))
    assert "no openqcs database at" in line and "OPENQCS_DATA_DIR" in line
    assert list(tmp_path.iterdir()) == []  # no empty openqcs.db, no half-written profile


def test_an_unmigrated_database_is_named_as_such(tmp_path):
    (tmp_path / "openqcs.db").touch()
    line = one_line_error(run_bare(tmp_path, "admin", "user", "list"))
    assert "not migrated" in line and "openqcs db upgrade" in line
    with postgres_database() as url:
        line = one_line_error(run_bare(tmp_path, "admin", "user", "list", OPENQCS_DATABASE_URL=url))
        assert "not migrated" in line


def test_an_unreachable_database_is_one_line(tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/openqcs"
    line = one_line_error(run_bare(tmp_path, "admin", "user", "list", OPENQCS_DATABASE_URL=url))
    assert line.startswith("error: cannot open the database") and "OPENQCS_DATABASE_URL" in line


def test_version(tmp_path):
    done = run_bare(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"openqcs {version('openqcs')}"


def test_status_without_a_server_says_so(tmp_path):
    done = run_bare(tmp_path, "status", OPENQCS_HTTP_PORT=str(free_port()))
    assert done.returncode == 1
    assert "not answering" in done.stdout and "no openqcs database at" in done.stdout
    assert list(tmp_path.iterdir()) == []


def make_dry_run(target: str, venv) -> str:
    done = subprocess.run(["make", "-n", target, f"VENV={venv}"], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_run_installs_without_the_test_extras_and_make_test_with_them(tmp_path):
    venv = tmp_path / "fresh-venv"  # as on a fresh clone: nothing installed yet
    run_steps = make_dry_run("run", venv)
    assert "pip install -q -e .\n" in run_steps and "[test]" not in run_steps
    test_steps = make_dry_run("test", venv)
    assert "pip install -q -e '.[test]'" in test_steps and "pytest" in test_steps
