"""The QVM's HTTP face: a raw ASGI app (one POST route; any path, as the real QVM).

Simulations run on a small thread pool (qiskit-aer and numpy release the GIL; its size is the
``qvm_threads`` setting), so a long one never blocks the event loop: ``version`` and other
requests are still answered meanwhile.
Every failure is the real QVM's error body, HTTP 500 ``{"error_type":"qvm_error","status":…}``,
which the clients turn into ``QVMError: … <status>``.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import msgspec

from openqcs.core.faults import ASGIApp, Receive, Scope, Send
from openqcs.errors import InvalidArgument
from openqcs.forest.qvm.handlers import Reply, handle, version

log = logging.getLogger("openqcs.qvm")

MAX_BODY_BYTES = 64 * 1024 * 1024  # noisy 9-qubit programs are ~40 kB; leave room for long ones


class QVMError(Exception):
    def __init__(self, status: str, http_status: int = 500) -> None:
        super().__init__(status)
        self.status, self.http_status = status, http_status


def error_body(status: str) -> bytes:
    return msgspec.json.encode({"error_type": "qvm_error", "status": status})


def run_request(body: bytes) -> Reply:
    """Decode, dispatch and run one request (in a pool thread)."""
    try:
        request = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise QVMError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(request, dict) or "type" not in request:
        raise QVMError('the request must be a JSON object with a "type" field')
    try:
        return handle(request)
    except InvalidArgument as exc:
        raise QVMError(str(exc)) from None
    except MemoryError:
        raise QVMError("the simulation ran out of memory; use fewer qubits") from None


def create_app(threads: int) -> ASGIApp:
    """The QVM's ASGI app, running simulations on ``threads`` pool threads."""
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="qvm-sim")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(pool, receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _send(send, 405, error_body("the QVM accepts POST requests with a JSON body"))
            return
        body = await _read_body(receive)
        if body is None:
            await _send(send, 413, error_body(f"the request body is larger than {MAX_BODY_BYTES} bytes"))
            return
        try:
            if len(body) < 256 and _is_version(body):  # pyquil asks on every get_qc: skip the pool
                reply = version({})
            else:
                reply = await asyncio.get_running_loop().run_in_executor(pool, run_request, body)
        except QVMError as exc:
            await _send(send, exc.http_status, error_body(exc.status))
            return
        except Exception as exc:
            log.exception("QVM request failed")
            await _send(send, 500, error_body(f"internal error in the simulator: {type(exc).__name__}: {exc}"))
            return
        await _send(send, 200, reply.body, reply.content_type)

    return app


def _is_version(body: bytes) -> bool:
    try:
        request = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return False
    return isinstance(request, dict) and request.get("type") == "version"


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, content_type: str = "application/json") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _warm_up() -> None:
    # Import the engine before the first request needs it (qiskit takes a second or two).
    from openqcs.simulator.engine import get_engine

    get_engine("aer")


async def _lifespan(pool: ThreadPoolExecutor, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            pool.submit(_warm_up)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            pool.shutdown(wait=False, cancel_futures=True)
            await send({"type": "lifespan.shutdown.complete"})
            return
