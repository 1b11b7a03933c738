"""The translated job handed to clients: our own description, integrity-protected.

Clients treat ``EncryptedControllerJob.job`` as opaque bytes and send them back to execute, so
the bytes carry everything execution needs (processor, program, shots, readout registers) and an
HMAC-SHA256 tag keyed by a server secret: a job cannot be altered or forged by a client.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import msgspec
from sqlalchemy.orm import Session

from openqcs.errors import InvalidArgument

MAGIC = b"OQJ1"
KEY_ID = "openqcs-hmac-sha256-v1"
SECRET_NAME = "execution-jobs"
TAG_SIZE = 32


class JobDescription(msgspec.Struct, frozen=True):
    processor_id: str
    program: str
    shots: int
    # Readout registers and their lengths, in declaration order.
    readout: dict[str, int]


_KEYS: dict[str, bytes] = {}


def job_key(session: Session) -> bytes:
    """The server's job-sealing key; kept in memory after its first read (it never changes), so
    translation reads it once and never writes (``server.start`` creates it at start-up)."""
    from openqcs.core.service import server_secret

    database = str(session.get_bind().engine.url)
    key = _KEYS.get(database)
    if key is None:
        key = _KEYS[database] = server_secret(session, SECRET_NAME)
    return key


def seal(job: JobDescription, key: bytes) -> tuple[bytes, str, bytes]:
    """``(job bytes, key id, nonce)``; the tag covers the nonce and the description."""
    nonce = secrets.token_bytes(12)
    body = msgspec.json.encode(job)
    tag = hmac.new(key, nonce + body, hashlib.sha256).digest()
    return MAGIC + tag + body, KEY_ID, nonce


def open_job(data: bytes, key_id: str, nonce: bytes, key: bytes) -> JobDescription:
    """The description inside ``data``; InvalidArgument if it was not made by this server or was changed."""
    if key_id and key_id != KEY_ID:
        raise InvalidArgument(f"job was encrypted with unknown key '{key_id}'; translate the program again")
    if not data.startswith(MAGIC) or len(data) <= len(MAGIC) + TAG_SIZE:
        raise InvalidArgument("job is not a translated openqcs job; translate the program with this server first")
    tag, body = data[len(MAGIC):len(MAGIC) + TAG_SIZE], data[len(MAGIC) + TAG_SIZE:]
    expected = hmac.new(key, bytes(nonce) + body, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        raise InvalidArgument("job failed its integrity check (altered, or translated by another server); "
                              "translate the program again")
    try:
        return msgspec.json.decode(body, type=JobDescription)
    except msgspec.DecodeError:
        raise InvalidArgument("job description is unreadable; translate the program again") from None


def readout_mappings(readout: dict[str, int]) -> dict[str, str]:
    """``name[i]`` -> stream key for every element of every readout register, contiguous from 0."""
    return {f"{name}[{i}]": stream_key(name, i) for name, size in readout.items() for i in range(size)}


def stream_key(name: str, index: int) -> str:
    return f"{name}_{index}"
