"""gRPC helpers for tests and benches that translate and run jobs: stubs with a token, the calls
they make, and a reservation written straight to the database."""

from __future__ import annotations

import time
from datetime import timedelta

import grpc
import pytest

from openqcs.execution.proto import models_controller_pb2 as mc
from openqcs.execution.proto import services_controller_pb2 as sc
from openqcs.execution.proto import services_controller_pb2_grpc as sc_grpc
from openqcs.execution.proto import services_translation_pb2 as st
from openqcs.execution.proto import services_translation_pb2_grpc as st_grpc

RUNNING = sc.GetControllerJobStatusResponse.RUNNING


class Stubs:
    def __init__(self, server, token: str | None) -> None:
        self.channel = grpc.insecure_channel(f"127.0.0.1:{server.settings.grpc_port}")
        self.metadata = [("authorization", f"Bearer {token}")] if token else []
        self.translation = st_grpc.TranslationStub(self.channel)
        self.controller = sc_grpc.ControllerStub(self.channel)

    def translate(self, request, **kw):
        return self.translation.TranslateQuilToEncryptedControllerJob(request, metadata=self.metadata, timeout=30, **kw)

    def call(self, method: str, request, **kw):
        stub = self.controller if hasattr(self.controller, method) else self.translation
        return getattr(stub, method)(request, metadata=self.metadata, timeout=30, **kw)


def translate(stubs, processor, quil, shots=100):
    return stubs.translate(st.TranslateQuilToEncryptedControllerJobRequest(
        quantum_processor_id=processor, quil_program=quil, num_shots_value=shots))


def execute(stubs, processor, translated, *memory_maps, compression=None):
    configs = [mc.JobExecutionConfiguration(memory_values={
        k: mc.DataValue(real=mc.RealDataValue(data=v)) for k, v in m.items()}) for m in memory_maps]
    request = sc.ExecuteControllerJobRequest(execution_configurations=configs, encrypted=translated.job,
                                             quantum_processor_id=processor)
    return list(stubs.call("ExecuteControllerJob", request, compression=compression).job_execution_ids)


def results(stubs, job_id):
    return stubs.call("GetControllerJobResults", sc.GetControllerJobResultsRequest(job_execution_id=job_id)).result


def code_of(call, *args):
    with pytest.raises(grpc.RpcError) as err:
        call(*args)
    return err.value.code(), err.value.details()


def wait_running(stubs, job_id: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = stubs.call("GetControllerJobStatus", sc.GetControllerJobStatusRequest(job_id=job_id)).status
        if status == RUNNING:
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not start")


def reserve(ctx, processor_id: str, account_type: str, account_id: str, *, minutes: int = 60):
    """A reservation covering now, written directly (booking rules are the reservations domain's)."""
    from openqcs.reservations.models import Reservation

    now = ctx.clock.now()
    with ctx.db.session(write=True) as session:
        row = Reservation(processor_id=processor_id, account_type=account_type, account_id=account_id,
                          created_by_type=account_type, created_by_id=account_id,
                          start_time=now - timedelta(minutes=1), end_time=now + timedelta(minutes=minutes),
                          price=0, notes="", cancelled=False, created_time=now, updated_time=now)
        session.add(row)
        session.flush()
        return row.end_time
