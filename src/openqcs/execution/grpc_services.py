"""gRPC servicers for services.translation.Translation and services.controller.Controller.

Handlers are thin: authenticate, run one service function in a thread (the database is
synchronous), shape the reply. Domain errors become gRPC statuses in ``grpc_status``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from openqcs import errors
from openqcs.billing.rates import rate_cache
from openqcs.context import AppContext
from openqcs.db.generations import GenerationReader
from openqcs.execution import abandon, controller, handoff, metrics, notify, submission, translation
from openqcs.execution.auth import cached_caller, principal_from_metadata, verified_caller
from openqcs.execution.proto import models_controller_pb2 as mc
from openqcs.execution.proto import models_translation_pb2 as mt
from openqcs.execution.proto import services_controller_pb2 as sc
from openqcs.execution.proto import services_controller_pb2_grpc as sc_grpc
from openqcs.execution.proto import services_translation_pb2 as st
from openqcs.execution.proto import services_translation_pb2_grpc as st_grpc
from openqcs.execution.recent import RECENT
from openqcs.execution.results import memory_from_values
from openqcs.execution.service import reserved_refusal
from openqcs.identity.principal import Principal
from openqcs.reservations.prepared import Busy, nowait_transaction, write_transaction

log = logging.getLogger("openqcs.execution.grpc")

# Results must reach the client before its own timeout (30 s by default in the SDKs).
RESULTS_WAIT_SECONDS = 25.0
# A results call re-reads the job this often even without a wake-up (a lost notification).
RESULTS_RECHECK_SECONDS = 1.0
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")

STATUS_CODES = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.Conflict: grpc.StatusCode.FAILED_PRECONDITION,
    errors.PaymentRequired: grpc.StatusCode.FAILED_PRECONDITION,
    errors.TooManyRequests: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
}


def grpc_status(exc: errors.OpenQCSError) -> grpc.StatusCode:
    """The one mapping of domain errors to gRPC codes."""
    for kind in type(exc).__mro__:
        if kind in STATUS_CODES:
            return STATUS_CODES[kind]
    return grpc.StatusCode.INTERNAL


def _request_id(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == "x-request-id":
            text = value.decode() if isinstance(value, bytes) else value
            if _SAFE_ID.match(text):
                return text
    return uuid.uuid4().hex


Handler = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]


def rpc(method: Handler) -> Handler:
    """Abort with the mapped status on domain errors, never leaking internals; one log line and
    metric per call, with a request id (the caller's ``x-request-id``, else a new one) echoed back."""
    name = method.__name__

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        started = time.perf_counter()
        request_id = _request_id(context)
        code, message = grpc.StatusCode.OK, ""
        context.set_trailing_metadata((("x-request-id", request_id),))
        try:
            return await method(self, request, context)
        except errors.OpenQCSError as exc:
            code, message = grpc_status(exc), exc.message
            await context.abort(code, exc.message)
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        except grpc.aio.AbortError:
            raise
        except Exception:
            code = grpc.StatusCode.INTERNAL
            log.exception("gRPC call failed", extra={"method": name, "request_id": request_id})
            await context.abort(code, "internal error; the server log has the details")
        finally:
            elapsed = time.perf_counter() - started
            metrics.GRPC_CALLS.labels(name, code.name).inc()
            metrics.GRPC_LATENCY.labels(name).observe(elapsed)
            fields = {"method": name, "status": code.name, "duration_ms": round(elapsed * 1000, 2),
                      "request_id": request_id}
            if message:
                fields["detail"] = message
            log.info("%s %s", name, code.name, extra=fields)

    return wrapper


class _Base:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.generations = GenerationReader(ctx.db, "processor_generation")

    async def caller(self, context: grpc.aio.ServicerContext) -> Principal:
        return await asyncio.to_thread(principal_from_metadata, self.ctx, context.invocation_metadata())

    async def in_session(self, fn: Callable[..., Any], *args: Any, write: bool = False, **kwargs: Any) -> Any:
        def call() -> Any:
            with self.ctx.db.session(write=write) as session:
                return fn(session, *args, **kwargs)

        return await asyncio.to_thread(call)

    async def as_caller(self, context: grpc.aio.ServicerContext, fn: Callable[..., Any], *args: Any,
                        write: bool = False) -> tuple[Principal, Any]:
        """Authenticate and run ``fn(session, principal, *args)`` in one thread hop (the hot calls)."""
        metadata = context.invocation_metadata()

        def call() -> tuple[Principal, Any]:
            principal = principal_from_metadata(self.ctx, metadata)
            with self.ctx.db.session(write=write) as session:
                return principal, fn(session, principal, *args)

        return await asyncio.to_thread(call)


class TranslationService(_Base, st_grpc.TranslationServicer):
    @rpc
    async def TranslateQuilToEncryptedControllerJob(
            self, request: st.TranslateQuilToEncryptedControllerJobRequest,
            context: grpc.aio.ServicerContext) -> st.TranslateQuilToEncryptedControllerJobResponse:
        principal = await self.caller(context)
        shots = request.num_shots_value if request.HasField("num_shots_value") else None
        out = await self.in_session(translation.translate, principal, request.quantum_processor_id,
                                    request.quil_program, shots,
                                    time_limit=self.ctx.settings.job_time_limit_seconds)
        return st.TranslateQuilToEncryptedControllerJobResponse(
            job=mc.EncryptedControllerJob(job=out.job, encryption=mc.JobEncryption(key_id=out.key_id,
                                                                                   nonce=out.nonce)),
            metadata=mt.QuilTranslationMetadata(readout_mappings=out.readout_mappings))

    @rpc
    async def GetQuantumProcessorQuilCalibrationProgram(
            self, request: st.GetQuantumProcessorQuilCalibrationProgramRequest,
            context: grpc.aio.ServicerContext) -> st.QuantumProcessorQuilCalibrationProgram:
        principal = await self.caller(context)
        text = await self.in_session(translation.calibration_program, principal, request.quantum_processor_id)
        return st.QuantumProcessorQuilCalibrationProgram(quil_calibration_program=text)


def _target(request: sc.ExecuteControllerJobRequest) -> dict[str, str]:
    kind = request.WhichOneof("target")
    return {"processor_id": request.quantum_processor_id if kind == "quantum_processor_id" else "",
            "endpoint_id": request.endpoint_id if kind == "endpoint_id" else ""}


LOOP_JOB_BYTES = 8192


class ControllerService(_Base, sc_grpc.ControllerServicer):
    def _submission(self, request: sc.ExecuteControllerJobRequest) -> controller.Submission:
        encrypted = request.encrypted if request.HasField("encrypted") else mc.EncryptedControllerJob()
        return controller.Submission(
            data=encrypted.job, key_id=encrypted.encryption.key_id, nonce=encrypted.encryption.nonce,
            memory_maps=[memory_from_values(c.memory_values) for c in request.execution_configurations],
            **_target(request))

    def _execute(self, metadata: Any, subs: list[controller.Submission], *, hand: bool,
                 caller: tuple[Principal, int] | None = None) -> tuple[Principal, list[list[str]], bool]:
        """Authenticate, check and queue (``hand``: the first job to an idle worker of ours when
        there is one); returns the caller, the job ids per submission and whether any of them
        went to the queue.

        ``caller``: already known from the principal cache; then on SQLite the transaction must
        get the write lock at once, else Busy (this runs on the event loop, which must not wait)."""
        principal, auth_generation = caller if caller is not None else verified_caller(self.ctx, metadata)
        if not subs:
            raise errors.InvalidArgument("requests is empty")
        generation = self.generations.read()
        now = self.ctx.clock.now()
        limit = self.ctx.settings.job_time_limit_seconds
        with self.ctx.db.session() as session:  # reads only, and none on a warm server
            checked = [controller.check(session, principal, sub, now, time_limit=limit, generation=generation)
                       for sub in subs]
        runner = handoff.IDLE.reserve() if hand else None
        committed = False
        try:
            batches, queued = self._queue(principal, checked, now, runner, nowait=caller is not None)
            committed = True
            ids = [job_id for batch in batches for job_id in batch]
            RECENT.submitted(self.ctx.db.engine.url, auth_generation, principal.user_id, ids)
            _queued(ids, principal)  # logged before the worker can log it running
        finally:
            if runner is not None:
                runner.deliver(committed)
        return principal, batches, queued

    def _queue(self, principal: Principal, checked: list[submission.Checked], now: datetime,
               runner: handoff.Inbox[Any] | None, *, nowait: bool) -> tuple[list[list[str]], bool]:
        db = self.ctx.db
        try:
            with (nowait_transaction if nowait else write_transaction)(db) as tx:
                return submission.queue_jobs(tx, principal, checked, now, rates=rate_cache(db),
                                             postgres=not db.is_sqlite, runner=runner)
        except submission.ReservedByOther as exc:
            with db.session() as session:  # rare: say when the processor is free again
                raise reserved_refusal(session, principal, exc.processor_id, now) from None

    @rpc
    async def ExecuteControllerJob(self, request: sc.ExecuteControllerJobRequest,
                                   context: grpc.aio.ServicerContext) -> sc.ExecuteControllerJobResponse:
        metadata, subs = context.invocation_metadata(), [self._submission(request)]
        done: tuple[Principal, list[list[str]], bool] | None = None
        # On the loop while the write lock is free (the thread hops cost more than the work), for
        # a small program only: checking a large one the first time must not hold up other calls.
        if self.ctx.db.is_sqlite and len(subs[0].data) <= LOOP_JOB_BYTES:
            caller = await cached_caller(self.ctx, metadata)
            if caller is not None:
                try:
                    done = self._execute(metadata, subs, hand=True, caller=caller)
                except Busy:
                    pass
        if done is None:
            done = await asyncio.to_thread(self._execute, metadata, subs, hand=True)
        _principal, [ids], queued = done
        if queued:
            controller.notify_queued()
        return sc.ExecuteControllerJobResponse(job_execution_ids=ids)

    @rpc
    async def BatchExecuteControllerJobs(
            self, request: sc.BatchExecuteControllerJobsRequest,
            context: grpc.aio.ServicerContext) -> sc.BatchExecuteControllerJobsResponse:
        subs = [self._submission(r) for r in request.requests]
        _principal, batches, queued = await asyncio.to_thread(self._execute, context.invocation_metadata(), subs,
                                                             hand=False)
        if queued:
            controller.notify_queued()
        return sc.BatchExecuteControllerJobsResponse(
            responses=[sc.ExecuteControllerJobResponse(job_execution_ids=ids) for ids in batches])

    @rpc
    async def GetControllerJobResults(self, request: sc.GetControllerJobResultsRequest,
                                      context: grpc.aio.ServicerContext) -> sc.GetControllerJobResultsResponse:
        job_id = request.job_execution_id
        # Watch before the first read, so a job that finishes in between still wakes us.
        arrival = notify.Arrival(job_id)
        try:
            principal, result = await self._own_recent(context, job_id)
            if principal is None:  # NotFound unless the caller may see the job.
                principal, result = await self.as_caller(context, controller.finished_result, job_id)
            if result is None:
                abandon.begin(job_id)
                try:
                    result = await self._wait_for(principal, job_id, arrival)
                finally:
                    abandon.end(self.ctx, job_id, answered=result is not None)
        finally:
            arrival.unwatch()
        return sc.GetControllerJobResultsResponse(result=mc.ControllerJobExecutionResult.FromString(result))

    async def _own_recent(self, context: grpc.aio.ServicerContext, job_id: str,
                          ) -> tuple[Principal | None, bytes | None]:
        """(the caller, the result or None while it runs) for a job they submitted here
        (``recent.py``), without a thread hop or a database read; (None, None) otherwise."""
        known = await cached_caller(self.ctx, context.invocation_metadata())
        if known is None:
            return None, None
        principal, generation = known
        mine, result = RECENT.lookup(self.ctx.db.engine.url, generation, principal.user_id, job_id)
        return (principal, result) if mine else (None, None)

    async def _wait_for(self, principal: Principal, job_id: str, arrival: notify.Arrival) -> bytes:
        deadline = time.monotonic() + RESULTS_WAIT_SECONDS
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise errors.Unavailable(f"job '{job_id}' has not finished yet; ask for its results again",
                                         retry_after=5)
            try:
                await asyncio.wait_for(arrival.event.wait(), min(left, RESULTS_RECHECK_SECONDS))
            except TimeoutError:
                pass
            # Pushed by a worker of this process (the caller's access was checked by the first read);
            # from another process, or after a lost wake-up, read it again (watching anew first).
            if arrival.result is not None:
                return arrival.result
            arrival.rearm()
            result: bytes | None = await self.in_session(controller.finished_result, principal, job_id)
            if result is not None:
                return result

    @rpc
    async def CancelControllerJobs(self, request: sc.CancelControllerJobsRequest,
                                   context: grpc.aio.ServicerContext) -> sc.CancelControllerJobsResponse:
        principal = await self.caller(context)
        cancelled = await self.in_session(controller.cancel, principal, list(request.job_ids), self.ctx.clock.now(),
                                          write=True)
        notify.finished(cancelled)
        for job_id in cancelled:
            metrics.transition(job_id, "cancelled", user=principal.idp_id)
        return sc.CancelControllerJobsResponse()

    @rpc
    async def GetControllerJobStatus(self, request: sc.GetControllerJobStatusRequest,
                                     context: grpc.aio.ServicerContext) -> sc.GetControllerJobStatusResponse:
        principal = await self.caller(context)
        found = await self.in_session(controller.status, principal, request.job_id)
        now = Timestamp()
        now.FromDatetime(self.ctx.clock.now())
        low, high = Duration(), Duration()
        low.FromNanoseconds(int(found.min_delay_s * 1e9))
        high.FromNanoseconds(int(found.max_delay_s * 1e9))
        return sc.GetControllerJobStatusResponse(
            status=STATUS_NAMES[found.status],
            estimated_job_completion_delay=sc.EstimatedDelay(minimum=low, maximum=high, now=now))


def _queued(ids: list[str], principal: Principal) -> None:
    for job_id in ids:
        metrics.transition(job_id, "queued", user=principal.idp_id)


STATUS_NAMES = {
    "queued": sc.GetControllerJobStatusResponse.QUEUED,
    "running": sc.GetControllerJobStatusResponse.RUNNING,
    "succeeded": sc.GetControllerJobStatusResponse.SUCCEEDED,
    "failed": sc.GetControllerJobStatusResponse.FAILED,
    "cancelled": sc.GetControllerJobStatusResponse.CANCELED,
}
