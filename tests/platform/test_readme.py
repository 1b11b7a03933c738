"""The README's quick start and client lines, run as written (extracted from README.md).

Each line of the ``sh`` blocks under "Quick start" and "Using it with Rigetti's clients" runs
the way a reader would run it: ``make run`` in a terminal of its own (on free ports and a fresh
data dir, which the README says ``make run`` honours), the other lines in a second shell with
``HOME`` pointing at a fresh directory (so ``~/.qcs`` is new), ``python`` being a Python where
pyquil 4.22 is installed. ``python`` blocks run as scripts in that Python. A line this test does
not know how to run fails it, naming the line: update the test with the README.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.clients import ROOT, client_python
from tests.support.server import free_port

pytestmark = pytest.mark.clients

SECTIONS = ("Quick start", "Using it with Rigetti's clients")
# Lines a test cannot run inside the suite: the whole suite itself.
NOT_RUN = {"make test"}


def readme_blocks(text: str) -> list[tuple[str, str, str]]:
    """(section, language, body) of every fenced block."""
    blocks, section = [], ""
    for match in re.finditer(r"^## ([^\n]+)$|^```(\w*)\n(.*?)^```", text, re.M | re.S):
        if match.group(1):
            section = match.group(1).strip()
        else:
            blocks.append((section, match.group(2), match.group(3)))
    return blocks


def shell_lines(body: str) -> list[str]:
    lines = []
    for raw in body.splitlines():
        words = shlex.split(raw, comments=True)
        if words:
            lines.append(shlex.join(words))
    return lines


class Reader:
    """The reader's two terminals: ``make run`` in one, everything else in the other."""

    def __init__(self, home: Path, data: Path) -> None:
        self.home, self.data = home, data
        self.http, self.grpc = free_port(), free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENQCS_", "QCS_", "VIRTUAL_ENV"))}
        self.env = {**clean, "HOME": str(home), "OPENQCS_DATA_DIR": str(data), "OPENQCS_HTTP_PORT": str(self.http),
                    "OPENQCS_GRPC_PORT": str(self.grpc), "OPENQCS_QUILC_PORT": str(free_port()),
                    "OPENQCS_QVM_PORT": str(free_port()), "OPENQCS_HTTPS_PORT": str(free_port()),
                    "OPENQCS_CLOCK_FILE": str(data / "clock-offset")}
        self.server: subprocess.Popen | None = None
        self.outputs: list[tuple[str, subprocess.CompletedProcess]] = []

    def run(self, line: str) -> None:
        words = shlex.split(line)
        if line == "make run":
            return self.make_run()
        if words[0] == "export" and len(words) == 2 and "=" in words[1]:
            name, value = words[1].split("=", 1)
            # In the README's shell the working directory is the checkout, which `make run` uses as
            # its data dir; here the data dir is a fresh one, so $PWD and ./ name that.
            value = value.replace("$PWD", str(self.data)).replace("${PWD}", str(self.data))
            value = str(self.data / value[2:]) if value.startswith("./") else value
            self.env[name] = os.path.expandvars(value.replace("~", str(self.home), 1))
            return None
        if words[0].startswith(".venv/bin/"):
            argv = [str(ROOT / words[0]), *words[1:]]
        elif words[0] == "python":
            argv = [str(client_python("pyquil")), *words[1:]]
        else:
            pytest.fail(f"README line not understood by this test: {line!r}")
        argv = [a.replace("~", str(self.home), 1) if a.startswith("~") else a for a in argv]
        done = subprocess.run(argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300)
        self.outputs.append((line, done))
        assert done.returncode == 0, f"README line {line!r} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return None

    def run_script(self, source: str) -> None:
        done = subprocess.run([str(client_python("pyquil")), "-c", source], cwd=self.home, env=self.env,
                              capture_output=True, text=True, timeout=300)
        self.outputs.append((source, done))
        assert done.returncode == 0, f"README script failed:\n{source}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    def make_run(self) -> None:
        # `-o` keeps make from reinstalling into the shared venv when pyproject.toml is newer.
        log = open(self.data / "make-run.log", "wb")  # noqa: SIM115 - the server writes to it after we return
        self.server = subprocess.Popen(["make", "-o", ".venv/.installed", "run"], cwd=ROOT, env=self.env,
                                       stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (self.data / "make-run.log").read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{self.http}/v1/healthcheck", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail("make run did not serve within 180 s")

    def stop(self) -> None:
        if self.server is None:
            return
        if self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                pass
        # Whatever of the reader's terminal is still running (a child that outlived make) goes too.
        try:
            os.killpg(self.server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.server.wait(5)


SDK_AFTER_EXPIRY = """
import json
from qcs_sdk.client import QCSClient
from qcs_sdk.qpu import list_quantum_processors
print(json.dumps(sorted(list_quantum_processors(client=QCSClient.load(), timeout=30))))
"""


def follow_readme(reader: Reader) -> bool:
    """Every line of the README's sections; True when one of them was ``make run``."""
    ran_make_run = False
    for section, language, body in readme_blocks((ROOT / "README.md").read_text()):
        if section not in SECTIONS:
            continue
        if language == "python":
            reader.run_script(body)
        elif language in ("sh", "bash", "shell", "console"):
            for line in shell_lines(body):
                if line in NOT_RUN or (line == "make run" and ran_make_run):
                    continue
                reader.run(line)
                ran_make_run = ran_make_run or line == "make run"
    return ran_make_run


@pytest.fixture
def reader(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "data").mkdir()
    person = Reader(tmp_path / "home", tmp_path / "data")
    yield person
    person.stop()


def test_the_readme_has_the_blocks_this_test_follows():
    sections = {section for section, _, _ in readme_blocks((ROOT / "README.md").read_text())}
    assert set(SECTIONS) <= sections


@pytest.mark.timeout(900)
def test_quick_start_and_client_lines_run_as_written(reader):
    ran = follow_readme(reader)
    assert ran, "the README's quick start no longer starts the server with `make run`"
    # Some line ran Rigetti's client (every line already had to succeed) and showed its result.
    clients = [(what, done) for what, done in reader.outputs if done.args[0] == str(client_python("pyquil"))]
    assert clients, "the README's client section runs no pyquil line or block"
    assert all(done.stdout.strip() for _, done in clients), clients


def wait_for_issuer(settings_file: Path) -> None:
    """A reader is slower than this test: give the issuer the profile names time to listen."""
    settings = tomllib.loads(settings_file.read_text())
    issuer = settings["auth_servers"][settings["default_profile_name"]]["issuer"]
    parts = urlsplit(issuer)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection((parts.hostname, parts.port or 443), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)


@pytest.mark.timeout(900)
def test_qcs_sdk_keeps_working_after_the_first_access_token_expired(reader):
    """The README's profile, a day later: the sdk must refresh at the issuer (qcs-sdk-python 0.31
    refuses an http:// issuer), with only what the README told the reader to set."""
    follow_readme(reader)
    wait_for_issuer(reader.home / ".qcs" / "settings.toml")
    (reader.data / "clock-offset").write_text(str(25 * 3600))  # the server's test clock: a day later
    sdk = client_python("sdk")
    try:
        done = subprocess.run([str(sdk), "-c", SDK_AFTER_EXPIRY], cwd=reader.home, env=reader.env,
                              capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("qcs-sdk-python hung after its access token expired")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines and "Aspen-M-3" in lines[-1], f"qcs-sdk-python failed after expiry:\n{done.stderr[-3000:]}"
