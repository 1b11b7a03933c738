"""The quilc process: a ZeroMQ ROUTER speaking rpcq. ``get_version_info`` is answered on the
socket loop; work goes to the compile workers, whose replies come back through an inproc
socket (ZeroMQ sockets belong to one thread). Every request gets exactly one reply."""

from __future__ import annotations

import functools
import logging
import os
import signal
import threading
import time
from itertools import count
from multiprocessing.synchronize import Event as EventLike

import msgspec
import zmq

from openqcs import logs
from openqcs.config import Settings
from openqcs.forest.quilc import rpc
from openqcs.forest.quilc.methods import VERSION, WORK
from openqcs.forest.quilc.workers import DEFAULT_TIMEOUT, Job, Pool

log = logging.getLogger("openqcs.quilc")
REPLIES = "inproc://quilc-replies"


class Service:
    def __init__(self, settings: Settings, workers: int) -> None:
        self.context = zmq.Context()
        self.router = self.context.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        self.router.bind(f"tcp://{settings.host}:{settings.quilc_port}")
        self.replies = self.context.socket(zmq.PULL)
        self.replies.bind(REPLIES)
        self.pool = Pool(workers, settings.log_level)
        self.pending: dict[int, tuple[list[bytes], str, str, float]] = {}
        self.tokens = count()
        self.local = threading.local()
        self.pushes: list[zmq.Socket[bytes]] = []
        self.stopping = threading.Event()

    def serve(self, parent: int | None = None) -> None:
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        poller.register(self.replies, zmq.POLLIN)
        while not self.stopping.is_set():
            if parent is not None and os.getppid() != parent:
                break  # openqcs serve went away without stopping us
            events = dict(poller.poll(500))
            if self.replies in events:
                while self.replies.poll(0):
                    self._send_reply(self.replies.recv_multipart())
            if self.router in events:
                while self.router.poll(0):
                    self._receive(self.router.recv_multipart())
        self.close()

    def _answer(self, envelope: list[bytes], request_id: str, method: str, started: float,
                ok: bool, value: object) -> None:
        payload = rpc.encode_reply(request_id, value) if ok else rpc.encode_error(request_id, str(value))
        self.router.send_multipart([*envelope, payload])
        log.info("rpc", extra={"method": method, "duration_ms": round((time.monotonic() - started) * 1000, 1),
                               "ok": ok, **({} if ok else {"error": str(value)[:500]})})

    def _receive(self, frames: list[bytes]) -> None:
        started = time.monotonic()
        if len(frames) < 2:
            return  # no identity frame: nobody to answer
        envelope, payload = frames[:-1], frames[-1]  # [identity] or [identity, b""]
        try:
            request = rpc.decode_request(payload)
        except rpc.BadRequest as exc:
            self._answer(envelope, exc.request_id, "?", started, False, exc.message)
            return
        if request.method == "get_version_info":
            self._answer(envelope, request.id, request.method, started, True, VERSION)
            return
        if request.method not in WORK:
            known = ", ".join(["get_version_info", *WORK])
            self._answer(envelope, request.id, request.method, started, False,
                         f"unknown method {request.method!r}; this quilc serves {known}")
            return
        token = next(self.tokens)
        self.pending[token] = (envelope, request.id, request.method, started)
        timeout = request.timeout or DEFAULT_TIMEOUT
        self.pool.submit(Job(request.method, request.params, started + timeout,
                             functools.partial(self._done, token)))

    def _done(self, token: int, ok: bool, value: object) -> None:
        """Called on a worker thread: hand the result to the socket loop."""
        push = getattr(self.local, "push", None)
        if push is None:
            push = self.local.push = self.context.socket(zmq.PUSH)
            push.setsockopt(zmq.LINGER, 0)
            push.connect(REPLIES)
            self.pushes.append(push)
        try:
            body = msgspec.msgpack.encode([ok, value])
        except (TypeError, msgspec.EncodeError) as exc:
            body = msgspec.msgpack.encode([False, f"internal error: the result could not be encoded ({exc})"])
        push.send_multipart([str(token).encode(), body])

    def _send_reply(self, frames: list[bytes]) -> None:
        token = int(frames[0])
        ok, value = msgspec.msgpack.decode(frames[1])
        envelope, request_id, method, started = self.pending.pop(token)
        self._answer(envelope, request_id, method, started, ok, value)

    def close(self) -> None:
        self.pool.close()
        for push in self.pushes:  # their threads have ended
            push.close(0)
        self.router.close(0)
        self.replies.close(0)
        self.context.term()


def main(settings: Settings, ready: EventLike | None = None, parent: int | None = None, workers: int = 2) -> None:
    """Entry point of the quilc process."""
    logs.configure(settings.log_level)
    service = Service(settings, workers)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: service.stopping.set())
    log.info("quilc listening", extra={"quilc_url": settings.quilc_url, "workers": workers})
    if ready is not None:
        ready.set()
    service.serve(parent)
