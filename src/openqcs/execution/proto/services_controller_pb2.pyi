import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openqcs.execution.proto import models_controller_pb2 as _models_controller_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Uuid(_message.Message):
    __slots__ = ("high", "low")
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    high: int
    low: int
    def __init__(self, high: _Optional[int] = ..., low: _Optional[int] = ...) -> None: ...

class ExecutionOptions(_message.Message):
    __slots__ = ("bypass_settings_protection", "timeout")
    BYPASS_SETTINGS_PROTECTION_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    bypass_settings_protection: bool
    timeout: _duration_pb2.Duration
    def __init__(self, bypass_settings_protection: _Optional[bool] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ExecuteControllerJobRequest(_message.Message):
    __slots__ = ("execution_configurations", "options", "idempotency_key", "encrypted", "quantum_processor_id", "endpoint_id")
    EXECUTION_CONFIGURATIONS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTED_FIELD_NUMBER: _ClassVar[int]
    QUANTUM_PROCESSOR_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    execution_configurations: _containers.RepeatedCompositeFieldContainer[_models_controller_pb2.JobExecutionConfiguration]
    options: ExecutionOptions
    idempotency_key: Uuid
    encrypted: _models_controller_pb2.EncryptedControllerJob
    quantum_processor_id: str
    endpoint_id: str
    def __init__(self, execution_configurations: _Optional[_Iterable[_Union[_models_controller_pb2.JobExecutionConfiguration, _Mapping]]] = ..., options: _Optional[_Union[ExecutionOptions, _Mapping]] = ..., idempotency_key: _Optional[_Union[Uuid, _Mapping]] = ..., encrypted: _Optional[_Union[_models_controller_pb2.EncryptedControllerJob, _Mapping]] = ..., quantum_processor_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ...) -> None: ...

class ExecuteControllerJobResponse(_message.Message):
    __slots__ = ("job_execution_ids",)
    JOB_EXECUTION_IDS_FIELD_NUMBER: _ClassVar[int]
    job_execution_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, job_execution_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchExecuteControllerJobsRequest(_message.Message):
    __slots__ = ("requests", "idempotency_key")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[ExecuteControllerJobRequest]
    idempotency_key: Uuid
    def __init__(self, requests: _Optional[_Iterable[_Union[ExecuteControllerJobRequest, _Mapping]]] = ..., idempotency_key: _Optional[_Union[Uuid, _Mapping]] = ...) -> None: ...

class BatchExecuteControllerJobsResponse(_message.Message):
    __slots__ = ("responses",)
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    responses: _containers.RepeatedCompositeFieldContainer[ExecuteControllerJobResponse]
    def __init__(self, responses: _Optional[_Iterable[_Union[ExecuteControllerJobResponse, _Mapping]]] = ...) -> None: ...

class GetControllerJobResultsRequest(_message.Message):
    __slots__ = ("job_execution_id", "quantum_processor_id", "endpoint_id")
    JOB_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTUM_PROCESSOR_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    job_execution_id: str
    quantum_processor_id: str
    endpoint_id: str
    def __init__(self, job_execution_id: _Optional[str] = ..., quantum_processor_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ...) -> None: ...

class GetControllerJobResultsResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _models_controller_pb2.ControllerJobExecutionResult
    def __init__(self, result: _Optional[_Union[_models_controller_pb2.ControllerJobExecutionResult, _Mapping]] = ...) -> None: ...

class CancelControllerJobsRequest(_message.Message):
    __slots__ = ("job_ids", "quantum_processor_id", "endpoint_id")
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    QUANTUM_PROCESSOR_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    quantum_processor_id: str
    endpoint_id: str
    def __init__(self, job_ids: _Optional[_Iterable[str]] = ..., quantum_processor_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ...) -> None: ...

class CancelControllerJobsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetControllerJobStatusRequest(_message.Message):
    __slots__ = ("job_id", "quantum_processor_id", "endpoint_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTUM_PROCESSOR_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    quantum_processor_id: str
    endpoint_id: str
    def __init__(self, job_id: _Optional[str] = ..., quantum_processor_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ...) -> None: ...

class EstimatedDelay(_message.Message):
    __slots__ = ("minimum", "maximum", "now")
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    minimum: _duration_pb2.Duration
    maximum: _duration_pb2.Duration
    now: _timestamp_pb2.Timestamp
    def __init__(self, minimum: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., maximum: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., now: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetControllerJobStatusResponse(_message.Message):
    __slots__ = ("status", "estimated_job_completion_delay")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[GetControllerJobStatusResponse.Status]
        QUEUED: _ClassVar[GetControllerJobStatusResponse.Status]
        RUNNING: _ClassVar[GetControllerJobStatusResponse.Status]
        SUCCEEDED: _ClassVar[GetControllerJobStatusResponse.Status]
        FAILED: _ClassVar[GetControllerJobStatusResponse.Status]
        CANCELED: _ClassVar[GetControllerJobStatusResponse.Status]
        POST_PROCESSING: _ClassVar[GetControllerJobStatusResponse.Status]
    UNKNOWN: GetControllerJobStatusResponse.Status
    QUEUED: GetControllerJobStatusResponse.Status
    RUNNING: GetControllerJobStatusResponse.Status
    SUCCEEDED: GetControllerJobStatusResponse.Status
    FAILED: GetControllerJobStatusResponse.Status
    CANCELED: GetControllerJobStatusResponse.Status
    POST_PROCESSING: GetControllerJobStatusResponse.Status
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_JOB_COMPLETION_DELAY_FIELD_NUMBER: _ClassVar[int]
    status: GetControllerJobStatusResponse.Status
    estimated_job_completion_delay: EstimatedDelay
    def __init__(self, status: _Optional[_Union[GetControllerJobStatusResponse.Status, str]] = ..., estimated_job_completion_delay: _Optional[_Union[EstimatedDelay, _Mapping]] = ...) -> None: ...
