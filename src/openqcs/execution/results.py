"""Building ControllerJobExecutionResult messages (stored serialized on the job row)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openqcs.execution.jobs import stream_key
from openqcs.execution.proto import models_controller_pb2 as pb

__all__ = ["Result", "cancelled", "failure", "memory_from_values", "pb", "service_failure", "success", "user_failure"]

Result = pb.ControllerJobExecutionResult


def success(readout: Mapping[str, Any], memory: Mapping[str, Any], duration_us: int) -> bytes:
    """Readout registers (shots x length) become one integer stream per element, as translation mapped them."""
    import numpy as np  # here: the services process would import it before gRPC binds (~80 ms)

    message = Result(status=Result.SUCCESS, execution_duration_microseconds=max(0, int(duration_us)))
    for name, values in readout.items():
        matrix = np.asarray(values)
        if matrix.ndim == 1:
            matrix = matrix.reshape(-1, 1)
        for index in range(matrix.shape[1]):
            column = matrix[:, index]
            # tolist(): Python ints in one C loop (a generator of int() per shot cost ~0.3 ms at 1000 shots)
            message.readout_values[stream_key(name, index)].integer_values.values.extend(
                np.rint(np.real(column)).astype(np.int64).tolist())
    for name, values in (memory or {}).items():
        message.memory_values[name].real.data.extend(np.asarray(values, dtype=float).ravel().tolist())
    return message.SerializeToString()


def failure(status: pb.ControllerJobExecutionResult.Status, message: str) -> bytes:
    return Result(status=status, status_message=message).SerializeToString()


def user_failure(message: str) -> bytes:
    return failure(Result.USER_FAILURE, message)


def service_failure(message: str) -> bytes:
    return failure(Result.SERVICE_FAILURE, message)


def cancelled(message: str = "the job was cancelled before it ran") -> bytes:
    return failure(Result.USER_CANCELLATION, message)


def memory_from_values(values: Mapping[str, pb.DataValue]) -> dict[str, list[float]]:
    """Patch values as reals, whatever their wire kind (clients send every value as real)."""
    memory: dict[str, list[float]] = {}
    for name, value in values.items():
        kind = value.WhichOneof("value")
        if kind == "real":
            memory[name] = list(value.real.data)
        elif kind == "integer":
            memory[name] = [float(v) for v in value.integer.data]
        elif kind == "binary":
            memory[name] = [float(b) for b in value.binary.data]
        else:
            memory[name] = []
    return memory
