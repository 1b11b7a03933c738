"""gRPC servicers for services.translation.Translation and services.controller.Controller.

Handlers are thin: authenticate, run one service function in a thread (the database is
synchronous), shape the reply. Domain errors become gRPC statuses in ``grpc_status``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from openqcs import errors
from openqcs.context import AppContext
from openqcs.execution import controller, translation
from openqcs.execution.auth import principal_from_metadata
from openqcs.execution.proto import models_controller_pb2 as mc
from openqcs.execution.proto import models_translation_pb2 as mt
from openqcs.execution.proto import services_controller_pb2 as sc
from openqcs.execution.proto import services_controller_pb2_grpc as sc_grpc
from openqcs.execution.proto import services_translation_pb2 as st
from openqcs.execution.proto import services_translation_pb2_grpc as st_grpc
from openqcs.execution.results import memory_from_values
from openqcs.identity.principal import Principal

log = logging.getLogger("openqcs.execution.grpc")

# Results must reach the client before its own timeout (30 s by default in the SDKs).
RESULTS_WAIT_SECONDS = 25.0

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


def rpc(method: Callable) -> Callable:
    """Abort with the mapped status on domain errors; never leak internals."""

    @functools.wraps(method)
    async def wrapper(self, request, context: grpc.aio.ServicerContext):
        try:
            return await method(self, request, context)
        except errors.OpenQCSError as exc:
            await context.abort(grpc_status(exc), exc.message)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("gRPC call failed", extra={"method": method.__name__})
            await context.abort(grpc.StatusCode.INTERNAL, "internal error; the server log has the details")

    return wrapper


class _Base:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def caller(self, context: grpc.aio.ServicerContext) -> Principal:
        return await asyncio.to_thread(principal_from_metadata, self.ctx, context.invocation_metadata())

    async def in_session(self, fn: Callable[..., Any], *args: Any, write: bool = False, **kwargs: Any) -> Any:
        def call():
            with self.ctx.db.session(write=write) as session:
                return fn(session, *args, **kwargs)

        return await asyncio.to_thread(call)


class TranslationService(_Base, st_grpc.TranslationServicer):
    @rpc
    async def TranslateQuilToEncryptedControllerJob(self, request, context):
        principal = await self.caller(context)
        shots = request.num_shots_value if request.HasField("num_shots_value") else None
        out = await self.in_session(translation.translate, principal, request.quantum_processor_id,
                                    request.quil_program, shots, write=True)
        return st.TranslateQuilToEncryptedControllerJobResponse(
            job=mc.EncryptedControllerJob(job=out.job, encryption=mc.JobEncryption(key_id=out.key_id,
                                                                                   nonce=out.nonce)),
            metadata=mt.QuilTranslationMetadata(readout_mappings=out.readout_mappings))

    @rpc
    async def GetQuantumProcessorQuilCalibrationProgram(self, request, context):
        principal = await self.caller(context)
        text = await self.in_session(translation.calibration_program, principal, request.quantum_processor_id)
        return st.QuantumProcessorQuilCalibrationProgram(quil_calibration_program=text)


def _target(request) -> dict[str, str]:
    kind = request.WhichOneof("target")
    return {"processor_id": request.quantum_processor_id if kind == "quantum_processor_id" else "",
            "endpoint_id": request.endpoint_id if kind == "endpoint_id" else ""}


class ControllerService(_Base, sc_grpc.ControllerServicer):
    def _submission(self, request) -> controller.Submission:
        encrypted = request.encrypted if request.HasField("encrypted") else mc.EncryptedControllerJob()
        return controller.Submission(
            data=encrypted.job, key_id=encrypted.encryption.key_id, nonce=encrypted.encryption.nonce,
            memory_maps=[memory_from_values(c.memory_values) for c in request.execution_configurations],
            **_target(request))

    def _submit_all(self, session, principal, submissions):
        now = self.ctx.clock.now()
        return [controller.submit(session, principal, sub, now) for sub in submissions]

    @rpc
    async def ExecuteControllerJob(self, request, context):
        principal = await self.caller(context)
        [ids] = await self.in_session(self._submit_all, principal, [self._submission(request)], write=True)
        controller.notify_queued()
        return sc.ExecuteControllerJobResponse(job_execution_ids=ids)

    @rpc
    async def BatchExecuteControllerJobs(self, request, context):
        principal = await self.caller(context)
        subs = [self._submission(r) for r in request.requests]
        if not subs:
            raise errors.InvalidArgument("requests is empty")
        batches = await self.in_session(self._submit_all, principal, subs, write=True)
        controller.notify_queued()
        return sc.BatchExecuteControllerJobsResponse(
            responses=[sc.ExecuteControllerJobResponse(job_execution_ids=ids) for ids in batches])

    @rpc
    async def GetControllerJobResults(self, request, context):
        principal = await self.caller(context)
        deadline = time.monotonic() + RESULTS_WAIT_SECONDS
        pause = 0.005  # short jobs finish in milliseconds; back off for long ones
        while True:
            result = await self.in_session(controller.finished_result, principal, request.job_execution_id)
            if result is not None:
                return sc.GetControllerJobResultsResponse(result=mc.ControllerJobExecutionResult.FromString(result))
            if time.monotonic() >= deadline:
                raise errors.Unavailable(f"job '{request.job_execution_id}' has not finished yet; "
                                         "ask for its results again", retry_after=5)
            await asyncio.sleep(pause)
            pause = min(pause * 1.3, 0.2)

    @rpc
    async def CancelControllerJobs(self, request, context):
        principal = await self.caller(context)
        await self.in_session(controller.cancel, principal, list(request.job_ids), self.ctx.clock.now(), write=True)
        return sc.CancelControllerJobsResponse()

    @rpc
    async def GetControllerJobStatus(self, request, context):
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


STATUS_NAMES = {
    "queued": sc.GetControllerJobStatusResponse.QUEUED,
    "running": sc.GetControllerJobStatusResponse.RUNNING,
    "succeeded": sc.GetControllerJobStatusResponse.SUCCEEDED,
    "failed": sc.GetControllerJobStatusResponse.FAILED,
    "cancelled": sc.GetControllerJobStatusResponse.CANCELED,
}
