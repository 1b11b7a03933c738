from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EncryptedControllerJob(_message.Message):
    __slots__ = ("job", "encryption")
    JOB_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTION_FIELD_NUMBER: _ClassVar[int]
    job: bytes
    encryption: JobEncryption
    def __init__(self, job: _Optional[bytes] = ..., encryption: _Optional[_Union[JobEncryption, _Mapping]] = ...) -> None: ...

class JobEncryption(_message.Message):
    __slots__ = ("key_id", "nonce")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    nonce: bytes
    def __init__(self, key_id: _Optional[str] = ..., nonce: _Optional[bytes] = ...) -> None: ...

class JobExecutionConfiguration(_message.Message):
    __slots__ = ("memory_values",)
    class MemoryValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: DataValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[DataValue, _Mapping]] = ...) -> None: ...
    MEMORY_VALUES_FIELD_NUMBER: _ClassVar[int]
    memory_values: _containers.MessageMap[str, DataValue]
    def __init__(self, memory_values: _Optional[_Mapping[str, DataValue]] = ...) -> None: ...

class DataValue(_message.Message):
    __slots__ = ("binary", "integer", "real")
    BINARY_FIELD_NUMBER: _ClassVar[int]
    INTEGER_FIELD_NUMBER: _ClassVar[int]
    REAL_FIELD_NUMBER: _ClassVar[int]
    binary: BinaryDataValue
    integer: IntegerDataValue
    real: RealDataValue
    def __init__(self, binary: _Optional[_Union[BinaryDataValue, _Mapping]] = ..., integer: _Optional[_Union[IntegerDataValue, _Mapping]] = ..., real: _Optional[_Union[RealDataValue, _Mapping]] = ...) -> None: ...

class BinaryDataValue(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class IntegerDataValue(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, data: _Optional[_Iterable[int]] = ...) -> None: ...

class RealDataValue(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, data: _Optional[_Iterable[float]] = ...) -> None: ...

class ControllerJobExecutionResult(_message.Message):
    __slots__ = ("memory_values", "readout_values", "status", "status_message", "execution_duration_microseconds")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[ControllerJobExecutionResult.Status]
        SUCCESS: _ClassVar[ControllerJobExecutionResult.Status]
        SERVICE_FAILURE: _ClassVar[ControllerJobExecutionResult.Status]
        USER_FAILURE: _ClassVar[ControllerJobExecutionResult.Status]
        USER_CANCELLATION: _ClassVar[ControllerJobExecutionResult.Status]
    UNKNOWN: ControllerJobExecutionResult.Status
    SUCCESS: ControllerJobExecutionResult.Status
    SERVICE_FAILURE: ControllerJobExecutionResult.Status
    USER_FAILURE: ControllerJobExecutionResult.Status
    USER_CANCELLATION: ControllerJobExecutionResult.Status
    class MemoryValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: DataValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[DataValue, _Mapping]] = ...) -> None: ...
    class ReadoutValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: ReadoutValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[ReadoutValues, _Mapping]] = ...) -> None: ...
    MEMORY_VALUES_FIELD_NUMBER: _ClassVar[int]
    READOUT_VALUES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_DURATION_MICROSECONDS_FIELD_NUMBER: _ClassVar[int]
    memory_values: _containers.MessageMap[str, DataValue]
    readout_values: _containers.MessageMap[str, ReadoutValues]
    status: ControllerJobExecutionResult.Status
    status_message: str
    execution_duration_microseconds: int
    def __init__(self, memory_values: _Optional[_Mapping[str, DataValue]] = ..., readout_values: _Optional[_Mapping[str, ReadoutValues]] = ..., status: _Optional[_Union[ControllerJobExecutionResult.Status, str]] = ..., status_message: _Optional[str] = ..., execution_duration_microseconds: _Optional[int] = ...) -> None: ...

class ReadoutValues(_message.Message):
    __slots__ = ("integer_values", "complex_values")
    INTEGER_VALUES_FIELD_NUMBER: _ClassVar[int]
    COMPLEX_VALUES_FIELD_NUMBER: _ClassVar[int]
    integer_values: IntegerReadoutValues
    complex_values: Complex64ReadoutValues
    def __init__(self, integer_values: _Optional[_Union[IntegerReadoutValues, _Mapping]] = ..., complex_values: _Optional[_Union[Complex64ReadoutValues, _Mapping]] = ...) -> None: ...

class IntegerReadoutValues(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, values: _Optional[_Iterable[int]] = ...) -> None: ...

class Complex64ReadoutValues(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[Complex64]
    def __init__(self, values: _Optional[_Iterable[_Union[Complex64, _Mapping]]] = ...) -> None: ...

class Complex64(_message.Message):
    __slots__ = ("real", "imaginary")
    REAL_FIELD_NUMBER: _ClassVar[int]
    IMAGINARY_FIELD_NUMBER: _ClassVar[int]
    real: float
    imaginary: float
    def __init__(self, real: _Optional[float] = ..., imaginary: _Optional[float] = ...) -> None: ...
