"""An identity server per database kind with a real SMTP sink and the HTTPS issuer on."""

from __future__ import annotations

import email
import threading
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller

from tests.identity.util import patient_server
from tests.support.databases import database
from tests.support.server import LiveServer, free_port


class SmtpSink:
    """Collects every message a real SMTP client delivers to it."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, recipient: str, subject_part: str, timeout: float = 15) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for msg in self.messages:
                    if msg["To"] == recipient and subject_part in msg["Subject"]:
                        self.messages.remove(msg)
                        return msg
            time.sleep(0.05)
        raise AssertionError(f"no mail '{subject_part}' to {recipient} within {timeout}s")

    def sent_to(self, recipient: str) -> list:
        with self._lock:
            return [m for m in self.messages if m["To"] == recipient]


@pytest.fixture(scope="session")
def smtp() -> SmtpSink:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture(scope="session")
def idserver(db_kind: str, smtp: SmtpSink, tmp_path_factory) -> LiveServer:
    directory = str(tmp_path_factory.mktemp(f"identity-{db_kind}"))
    extra = {"OPENQCS_SMTP_HOST": "127.0.0.1", "OPENQCS_SMTP_PORT": str(smtp.controller.port),
             "OPENQCS_HTTPS_PORT": str(free_port()), "OPENQCS_API_ONLY": "true"}
    with database(db_kind, directory) as url, patient_server(url, directory, **extra) as srv:
        yield srv
