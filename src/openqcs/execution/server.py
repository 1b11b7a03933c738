"""``openqcs serve``'s execution side: the gRPC server (its own thread and event loop) and job workers."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc

from openqcs.context import AppContext
from openqcs.domains import load_models
from openqcs.execution.grpc_services import ControllerService, TranslationService
from openqcs.execution.jobs import job_key
from openqcs.execution.notify import Listener
from openqcs.execution.proto import services_controller_pb2_grpc as sc_grpc
from openqcs.execution.proto import services_translation_pb2_grpc as st_grpc
from openqcs.execution.worker import Workers

log = logging.getLogger("openqcs.execution.server")

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
START_FIRST = True  # `openqcs serve` starts gRPC before the slower services (the HTTPS issuer, Forest)


def _build(ctx: AppContext, ports: list[int]) -> grpc.aio.Server:
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                                      ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)])
    # The generated registration functions carry no annotations.
    st_grpc.add_TranslationServicer_to_server(TranslationService(ctx), server)  # type: ignore[no-untyped-call]
    sc_grpc.add_ControllerServicer_to_server(ControllerService(ctx), server)  # type: ignore[no-untyped-call]
    for port in ports:
        server.add_insecure_port(f"{ctx.settings.host}:{port}")
    return server


def start_grpc(ctx: AppContext) -> Callable[[], None]:
    """Serve translation and controller on grpc_port, and on controller_port too when it is set
    (clients reach the controller at ``settings.controller_url``, which the accessors advertise)."""
    ports = [ctx.settings.grpc_port]
    if ctx.settings.controller_port:
        ports.append(ctx.settings.controller_port)
    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=16, thread_name_prefix="openqcs-grpc"))
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        server = _build(ctx, ports)
        await server.start()
        holder["stopping"] = stopping = asyncio.Event()
        ready.set()
        await stopping.wait()
        await server.stop(grace=2)

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except Exception as exc:
            holder["error"] = exc
            ready.set()

    thread = threading.Thread(target=run, name="openqcs-grpc", daemon=True)
    thread.start()
    ready.wait(30)
    if "error" in holder:
        raise RuntimeError(f"gRPC server did not start: {holder['error']}")
    log.info("gRPC serving", extra={"grpc_url": ctx.settings.grpc_url, "controller_url": ctx.settings.controller_url})

    def stop() -> None:
        stopping = holder.get("stopping")
        if stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
        thread.join(10)

    return stop


def start_execution(ctx: AppContext, workers: int) -> Callable[[], None]:
    """Job workers (simulation processes) and, on PostgreSQL, the job notification listener."""
    with ctx.db.session(write=True) as session:
        job_key(session)  # created once here, so translation only ever reads it
    listener = None if ctx.db.is_sqlite else Listener(ctx.settings.db_url).start()
    pool = Workers(ctx, max(0, workers)).start()

    def stop() -> None:
        pool.stop()
        if listener is not None:
            listener.stop()

    return stop


def start(ctx: AppContext) -> Callable[[], None] | None:
    if ctx.settings.api_only:
        return None
    # This process may not have imported every domain's tables yet; flushing a job needs the
    # tables its foreign keys point at (quantum_processors, users) in the metadata.
    load_models()
    with ctx.db.session(write=True) as session:
        job_key(session)  # before gRPC: translation only ever reads it
    stop_grpc = start_grpc(ctx)  # first: it is what clients wait for
    try:
        stop_execution = start_execution(ctx, ctx.settings.execution_workers)
    except BaseException:
        stop_grpc()
        raise

    def stop() -> None:
        stop_execution()
        stop_grpc()

    return stop
