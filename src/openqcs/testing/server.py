"""One ``openqcs serve`` for a test session: free ports, a fresh SQLite file, the test clock,
an admin token, and quilc / the QVM on their own ports.

Only the standard library here: the server may run on another interpreter (``python``) than
the tests, e.g. when the tests' environment holds pyquil 4.22 and its older ``quil``.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from openqcs.testing.handle import Endpoints


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Started as `python -c`: no `openqcs` script needs to be on PATH.
SERVE = "from openqcs.cli import main; main()"


class SessionServer:
    """A server process in ``data_dir``; ``endpoints`` are where it answers."""

    def __init__(self, data_dir: Path, *, forest: bool = True, https: bool = True, python: str = "",
                 extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.python = python or sys.executable
        self.admin_token = secrets.token_urlsafe(24)
        self.env = {
            "OPENQCS_HOST": "127.0.0.1",
            "OPENQCS_HTTP_PORT": str(free_port()),
            "OPENQCS_GRPC_PORT": str(free_port()),
            "OPENQCS_DATA_DIR": str(data_dir),
            "OPENQCS_DATABASE_URL": f"sqlite:///{data_dir / 'openqcs.db'}",
            "OPENQCS_CLOCK_FILE": str(data_dir / "clock-offset"),
            "OPENQCS_ADMIN_TOKEN": self.admin_token,
            "OPENQCS_LOG_LEVEL": "WARNING",
            "OPENQCS_QUILC_PORT": str(free_port()) if forest else "0",
            "OPENQCS_QVM_PORT": str(free_port()) if forest else "0",
            # qcs-sdk-python 0.31 refreshes tokens only at an https:// issuer.
            "OPENQCS_HTTPS_PORT": str(free_port()) if https else "0",
            **(extra_env or {}),
        }
        host, http, grpc = self.env["OPENQCS_HOST"], self.env["OPENQCS_HTTP_PORT"], self.env["OPENQCS_GRPC_PORT"]
        self.quilc_port, self.qvm_port = int(self.env["OPENQCS_QUILC_PORT"]), int(self.env["OPENQCS_QVM_PORT"])
        self.host, self.grpc_port = host, int(grpc)
        self.https_port = int(self.env["OPENQCS_HTTPS_PORT"])
        issuer = f"https://{host}:{self.https_port}" if self.https_port else f"http://{host}:{http}"
        self.endpoints = Endpoints(
            api_url=f"http://{host}:{http}", grpc_url=f"http://{host}:{grpc}", issuer=f"{issuer}/oauth2/default",
            quilc_url=f"tcp://{host}:{self.quilc_port}" if self.quilc_port else "",
            qvm_url=f"http://{host}:{self.qvm_port}" if self.qvm_port else "")
        self.process: subprocess.Popen[bytes] | None = None
        self.bundle: Path | None = None  # SSL_CERT_FILE for the tests, once started

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self, timeout: float = 120.0) -> None:
        # Only our variables: a user's own OPENQCS_* must not leak into the test server.
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENQCS_")} | self.env
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([self.python, "-c", SERVE, "serve"], env=env, stdout=log, stderr=log,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"openqcs serve exited with {self.process.returncode}:\n{self.log_tail()}")
            if self._answers() and self._listening(self.grpc_port) and self._issuer_ready():
                self._wait_for_forest(min(deadline, time.monotonic() + 15))
                self.bundle = self.trust_bundle()
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"openqcs serve did not come up in {timeout:.0f} s:\n{self.log_tail()}")

    @property
    def ca_file(self) -> Path | None:
        """The CA of the HTTPS issuer (None when it is off)."""
        return self.data_dir / "tls" / "ca.pem" if self.https_port else None

    def _issuer_ready(self) -> bool:
        ca_file = self.ca_file
        return ca_file is None or (ca_file.is_file() and self._listening(self.https_port))

    def trust_bundle(self) -> Path | None:
        """The system's CAs plus the issuer's, for SSL_CERT_FILE: clients trust the local issuer
        and still every public site."""
        if self.ca_file is None:
            return None
        bundle = self.data_dir / "tls" / "trust-bundle.pem"
        system = ssl.get_default_verify_paths().cafile
        parts = [Path(system).read_text()] if system and Path(system).is_file() else []
        bundle.write_text("\n".join([*parts, self.ca_file.read_text()]))
        return bundle

    def _wait_for_forest(self, deadline: float) -> None:
        """quilc and the QVM start beside the API; a build without one of them still serves the rest."""
        ports = [p for p in (self.quilc_port, self.qvm_port) if p]
        while ports and time.monotonic() < deadline:
            ports = [p for p in ports if not self._listening(p)]
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            with urlopen(self.endpoints.api_url + "/v1/healthcheck", timeout=1) as response:
                return bool(response.status == 200)
        except (URLError, OSError):
            return False

    def _listening(self, port: int) -> bool:
        try:
            socket.create_connection((self.host, port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            pass
        try:  # anything of the server's group still running (a child outliving it) goes too
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(5)
        self.process = None

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""
