"""A real openqcs server in a subprocess, on free ports, for tests to talk to over sockets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from openqcs.config import load_settings
from openqcs.context import AppContext
from openqcs.db.migrate import upgrade
from tests.support.contract import contract_hook

OPENQCS = str(Path(sys.executable).with_name("openqcs"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def forest_env() -> dict[str, str]:
    """Extra env for a LiveServer that also serves quilc and the QVM, on free ports."""
    return {"OPENQCS_QUILC_PORT": str(free_port()), "OPENQCS_QVM_PORT": str(free_port())}


class LiveServer:
    """One ``openqcs serve`` process. ``ctx`` shares its database for setting up state."""

    def __init__(self, database_url: str, data_dir: str, **extra_env: str) -> None:
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "OPENQCS_HOST": "127.0.0.1",
            "OPENQCS_HTTP_PORT": str(free_port()),
            "OPENQCS_GRPC_PORT": str(free_port()),
            "OPENQCS_DATA_DIR": data_dir,
            "OPENQCS_DATABASE_URL": database_url,
            "OPENQCS_CLOCK_FILE": os.path.join(data_dir, "clock-offset"),
            "OPENQCS_LOG_LEVEL": "WARNING",
            # The Forest tools are off unless a test asks for them (forest_env()).
            "OPENQCS_QUILC_PORT": "0",
            "OPENQCS_QVM_PORT": "0",
            "OPENQCS_HTTPS_PORT": "0",  # on by default (8443); tests that want it pass a free port
            **extra_env,
        }
        self.settings = load_settings({k: v for k, v in self.env.items() if k.startswith("OPENQCS_")})
        self.base_url = self.settings.api_url
        self.process: subprocess.Popen | None = None
        self._ctx: AppContext | None = None

    @property
    def ctx(self) -> AppContext:
        if self._ctx is None:
            self._ctx = AppContext.create(self.settings)
        return self._ctx

    def start(self, timeout: float = 30.0) -> None:
        log = open(os.path.join(self.data_dir, "server.log"), "ab")  # noqa: SIM115 - the server writes to it after we return
        self.process = subprocess.Popen([OPENQCS, "serve"], env=self.env, stdout=log, stderr=log,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"openqcs serve exited with {self.process.returncode}: {self.log_tail()}")
            try:
                if httpx.get(self.base_url + "/v1/healthcheck", timeout=1).status_code == 200 and self._grpc_up():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"openqcs serve did not answer in {timeout}s: {self.log_tail()}")

    def _grpc_up(self) -> bool:
        """HTTP and the background services start side by side; wait for both."""
        if self.settings.api_only:
            return True
        try:
            socket.create_connection((self.settings.host, self.settings.grpc_port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to clean up."""
        self.stop(signal.SIGKILL)

    def close(self) -> None:
        self.stop()
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None

    def log_tail(self, size: int = 4000) -> str:
        try:
            return Path(self.data_dir, "server.log").read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def move_clock(self, seconds: float) -> None:
        """Shift the server's clock (and ``ctx``'s) by ``seconds`` from real time."""
        Path(self.settings.clock_file).write_text(str(seconds))

    def client(self, token: str | None = None, **kwargs) -> httpx.Client:
        """An HTTP client whose every response is checked against the spec contract."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30,
                            event_hooks={"response": [contract_hook]}, **kwargs)

    def raw_client(self, **kwargs) -> httpx.Client:
        """An HTTP client that does not check the contract (for deliberately odd requests)."""
        return httpx.Client(base_url=self.base_url, timeout=30, **kwargs)


@contextmanager
def live_server(database_url: str, data_dir: str, **extra_env: str) -> Iterator[LiveServer]:
    upgrade(database_url)
    server = LiveServer(database_url, data_dir, **extra_env)
    server.start()
    try:
        yield server
    finally:
        server.close()
