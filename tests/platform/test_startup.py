"""`openqcs serve` stopped by SIGTERM at any moment of its start: it exits within seconds and
leaves no process behind (granian workers, the services process, quilc, the QVM, the HTTPS
issuer) and no port taken."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from openqcs.db.migrate import upgrade
from openqcs.server import port_is_free
from tests.support.server import OPENQCS, forest_env, free_port

EXIT_SECONDS = 12.0  # a clean stop takes about a second; this allows for a loaded 2-core machine


def _session(sid: int) -> list[int]:
    """The processes still alive in session ``sid`` (zombies are gone already for this purpose)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[3]) == sid and stat[0] != "Z":
            alive.append(int(entry.name))
    return alive


def _start(tmp_path: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    url = f"sqlite:///{tmp_path}/openqcs.db"
    upgrade(url)
    env = {**os.environ, "OPENQCS_HOST": "127.0.0.1", "OPENQCS_HTTP_PORT": str(free_port()),
           "OPENQCS_GRPC_PORT": str(free_port()), "OPENQCS_HTTPS_PORT": str(free_port()),
           "OPENQCS_DATA_DIR": str(tmp_path), "OPENQCS_DATABASE_URL": url, "OPENQCS_LOG_LEVEL": "WARNING",
           **forest_env()}
    log = open(tmp_path / "server.log", "ab")  # noqa: SIM115 - the server writes to it after we return
    process = subprocess.Popen([OPENQCS, "serve"], env=env, stdout=log, stderr=log, start_new_session=True)
    return process, env


def _wait_http(env: dict[str, str], process: subprocess.Popen[bytes]) -> None:
    url = f"http://127.0.0.1:{env['OPENQCS_HTTP_PORT']}/v1/healthcheck"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError("the server never answered")


@pytest.mark.parametrize(("delay", "to_group"), [(0.3, True), (0.3, False), (1.5, True), ("up", True),
                                                 ("up", False)],
                         ids=["0.3s-group", "0.3s-main", "1.5s-group", "up-group", "up-main"])
def test_sigterm_during_or_right_after_start_exits_within_seconds_leaving_nothing(tmp_path, delay, to_group):
    process, env = _start(tmp_path)
    try:
        if delay == "up":
            _wait_http(env, process)
        else:
            time.sleep(delay)
        sent = time.monotonic()
        if to_group:  # what a terminal's Ctrl-C or `kill -- -PID` does
            os.killpg(process.pid, signal.SIGTERM)
        else:  # what `kill PID` or a service manager's first signal does
            os.kill(process.pid, signal.SIGTERM)
        process.wait(EXIT_SECONDS)
        # Its children may take a moment longer to go after it (each stops on its parent's exit).
        deadline = sent + EXIT_SECONDS
        while _session(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _session(process.pid)
        assert not left, f"still running {time.monotonic() - sent:.1f}s after SIGTERM: {left}; " + \
            (tmp_path / "server.log").read_text(errors="replace")[-3000:]
        ports = [int(env[k]) for k in ("OPENQCS_HTTP_PORT", "OPENQCS_GRPC_PORT", "OPENQCS_HTTPS_PORT",
                                       "OPENQCS_QUILC_PORT", "OPENQCS_QVM_PORT")]
        assert all(port_is_free("127.0.0.1", port) for port in ports)
    finally:
        for pid in _session(process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if process.poll() is None:
            process.kill()
            process.wait(5)


def test_serve_flags_choose_the_ports_and_database(tmp_path):
    """`serve`'s flags are read without Typer on the way to the server: they still win over the
    environment, as `openqcs serve --help` documents them."""
    process, env = _start_with(tmp_path, ["--port", str(port := free_port()), f"--grpc-port={free_port()}",
                                          "--data-dir", str(tmp_path), "--no-migrate", "--api-only"])
    try:
        _wait_http({**env, "OPENQCS_HTTP_PORT": str(port)}, process)
        assert port_is_free("127.0.0.1", int(env["OPENQCS_HTTP_PORT"]))  # the environment's port is unused
    finally:
        process.terminate()
        try:
            process.wait(EXIT_SECONDS)
        finally:
            for pid in _session(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("flags", [["--port", "eighty"], ["--no-such-flag"]])
def test_serve_refuses_a_bad_flag_with_the_usage_error(tmp_path, flags):
    done = subprocess.run([OPENQCS, "serve", *flags], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "OPENQCS_DATA_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert "Usage: openqcs serve" in done.stderr


def _start_with(tmp_path: Path, flags: list[str]) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    upgrade(f"sqlite:///{tmp_path}/openqcs.db")
    env = {**os.environ, "OPENQCS_HOST": "127.0.0.1", "OPENQCS_HTTP_PORT": str(free_port()),
           "OPENQCS_HTTPS_PORT": "0", "OPENQCS_DATA_DIR": "/nonexistent/openqcs", "OPENQCS_LOG_LEVEL": "WARNING"}
    env.pop("OPENQCS_DATABASE_URL", None)
    log = open(tmp_path / "server.log", "ab")  # noqa: SIM115 - the server writes to it after we return
    return subprocess.Popen([OPENQCS, "serve", *flags], env=env, stdout=log, stderr=log,
                            start_new_session=True), env
