from openqcs.execution.proto import models_controller_pb2 as _models_controller_pb2
from openqcs.execution.proto import models_translation_pb2 as _models_translation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TranslateQuilToEncryptedControllerJobRequest(_message.Message):
    __slots__ = ("quantum_processor_id", "quil_program", "num_shots_value", "options")
    QUANTUM_PROCESSOR_ID_FIELD_NUMBER: _ClassVar[int]
    QUIL_PROGRAM_FIELD_NUMBER: _ClassVar[int]
    NUM_SHOTS_VALUE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    quantum_processor_id: str
    quil_program: str
    num_shots_value: int
    options: TranslationOptions
    def __init__(self, quantum_processor_id: _Optional[str] = ..., quil_program: _Optional[str] = ..., num_shots_value: _Optional[int] = ..., options: _Optional[_Union[TranslationOptions, _Mapping]] = ...) -> None: ...

class TranslateQuilToEncryptedControllerJobResponse(_message.Message):
    __slots__ = ("job", "metadata")
    JOB_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    job: _models_controller_pb2.EncryptedControllerJob
    metadata: _models_translation_pb2.QuilTranslationMetadata
    def __init__(self, job: _Optional[_Union[_models_controller_pb2.EncryptedControllerJob, _Mapping]] = ..., metadata: _Optional[_Union[_models_translation_pb2.QuilTranslationMetadata, _Mapping]] = ...) -> None: ...

class TranslationOptions(_message.Message):
    __slots__ = ("q_ctrl", "riverlane", "v1", "v2")
    Q_CTRL_FIELD_NUMBER: _ClassVar[int]
    RIVERLANE_FIELD_NUMBER: _ClassVar[int]
    V1_FIELD_NUMBER: _ClassVar[int]
    V2_FIELD_NUMBER: _ClassVar[int]
    q_ctrl: QCtrl
    riverlane: Riverlane
    v1: BackendV1Options
    v2: BackendV2Options
    def __init__(self, q_ctrl: _Optional[_Union[QCtrl, _Mapping]] = ..., riverlane: _Optional[_Union[Riverlane, _Mapping]] = ..., v1: _Optional[_Union[BackendV1Options, _Mapping]] = ..., v2: _Optional[_Union[BackendV2Options, _Mapping]] = ...) -> None: ...

class QCtrl(_message.Message):
    __slots__ = ("fixed_layout",)
    FIXED_LAYOUT_FIELD_NUMBER: _ClassVar[int]
    fixed_layout: bool
    def __init__(self, fixed_layout: _Optional[bool] = ...) -> None: ...

class Riverlane(_message.Message):
    __slots__ = ("qeci_configuration_data", "qeci_max_nanoseconds_until_read_available")
    class QeciConfigurationDataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    QECI_CONFIGURATION_DATA_FIELD_NUMBER: _ClassVar[int]
    QECI_MAX_NANOSECONDS_UNTIL_READ_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    qeci_configuration_data: _containers.ScalarMap[str, bytes]
    qeci_max_nanoseconds_until_read_available: int
    def __init__(self, qeci_configuration_data: _Optional[_Mapping[str, bytes]] = ..., qeci_max_nanoseconds_until_read_available: _Optional[int] = ...) -> None: ...

class BackendV1Options(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BackendV2Options(_message.Message):
    __slots__ = ("prepend_default_calibrations", "passive_reset_delay_seconds", "allow_unchecked_pointer_arithmetic", "allow_frame_redefinition", "store_all_readout_values")
    PREPEND_DEFAULT_CALIBRATIONS_FIELD_NUMBER: _ClassVar[int]
    PASSIVE_RESET_DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_UNCHECKED_POINTER_ARITHMETIC_FIELD_NUMBER: _ClassVar[int]
    ALLOW_FRAME_REDEFINITION_FIELD_NUMBER: _ClassVar[int]
    STORE_ALL_READOUT_VALUES_FIELD_NUMBER: _ClassVar[int]
    prepend_default_calibrations: bool
    passive_reset_delay_seconds: float
    allow_unchecked_pointer_arithmetic: bool
    allow_frame_redefinition: bool
    store_all_readout_values: bool
    def __init__(self, prepend_default_calibrations: _Optional[bool] = ..., passive_reset_delay_seconds: _Optional[float] = ..., allow_unchecked_pointer_arithmetic: _Optional[bool] = ..., allow_frame_redefinition: _Optional[bool] = ..., store_all_readout_values: _Optional[bool] = ...) -> None: ...

class GetQuantumProcessorQuilCalibrationProgramRequest(_message.Message):
    __slots__ = ("quantum_processor_id",)
    QUANTUM_PROCESSOR_ID_FIELD_NUMBER: _ClassVar[int]
    quantum_processor_id: str
    def __init__(self, quantum_processor_id: _Optional[str] = ...) -> None: ...

class QuantumProcessorQuilCalibrationProgram(_message.Message):
    __slots__ = ("quil_calibration_program",)
    QUIL_CALIBRATION_PROGRAM_FIELD_NUMBER: _ClassVar[int]
    quil_calibration_program: str
    def __init__(self, quil_calibration_program: _Optional[str] = ...) -> None: ...
