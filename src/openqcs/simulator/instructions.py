"""One Quil instruction -> one IR op on *physical* qubits (``program.py`` relabels them densely),
one function per instruction kind, reading only the typed ``quil`` API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from quil.instructions import (
    Delay,
    Fence,
    Gate,
    GateDefinition,
    Instruction,
    Measurement,
    MemoryReference,
    Qubit,
    Reset,
    Target,
)
from quil.instructions import Pragma as QuilPragma

from openqcs.errors import InvalidArgument
from openqcs.simulator.classical import classical_op
from openqcs.simulator.gate_ops import EVALUATION_ERRORS, GateError, gate_op
from openqcs.simulator.ir import (
    ClassicalOp,
    DelayOp,
    FenceOp,
    HaltOp,
    MeasureOp,
    Op,
    Pragma,
    Ref,
    ResetOp,
    instruction_error,
)
from openqcs.simulator.quil_expr import ExpressionError, compile_expression, real

READOUT_TYPES = ("BIT", "OCTET", "INTEGER")
MAX_DELAY = 1.0  # seconds; far past any qubit's T1


@dataclass(slots=True)
class PendingJump:
    """A jump whose label is resolved once every label is known."""

    label: str
    cond: Ref | None
    when: bool
    text: str


Step = Op | PendingJump


@dataclass
class Scope:
    """What every instruction is checked against: the program's text and its definitions."""

    source: str
    regions: dict[str, tuple[str, int]]  # name -> (type, length)
    defgates: Mapping[str, GateDefinition]
    lengths: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.lengths = {name: length for name, (_, length) in self.regions.items()}

    def error(self, text: str, message: str) -> InvalidArgument:
        return instruction_error(self.source, text, message)


@dataclass
class Steps:
    steps: list[Step] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)  # label -> index of the step it precedes
    pragmas: list[Pragma] = field(default_factory=list)


def collect(body: list[Instruction], scope: Scope) -> Steps:
    out = Steps()
    for ins in body:
        text = ins.to_quil_or_debug()
        match ins:
            case Instruction.Label(label):
                out.labels[label_name(label.target)] = len(out.steps)
            case Instruction.Pragma(pragma):
                out.pragmas.append(_pragma(pragma, text))
            case Instruction.Nop() | Instruction.Declaration() | Instruction.GateDefinition():
                pass
            case _:
                out.steps.append(step(ins, text, scope))
    return out


def step(ins: Instruction, text: str, scope: Scope) -> Step:
    match ins:
        case Instruction.Gate(gate):
            return _gate(gate, text, scope)
        case Instruction.Measurement(measurement):
            return _measure(measurement, text, scope)
        case Instruction.Reset(reset):
            return _reset(reset, text, scope)
        case Instruction.Delay(delay):
            return _delay(delay, text, scope)
        case Instruction.Fence(fence):
            return _fence(fence, text, scope)
        case Instruction.Jump(jump):
            return PendingJump(label_name(jump.target), None, False, text)
        case Instruction.JumpWhen(jump):
            return PendingJump(label_name(jump.target), _ref(jump.condition, text, scope), True, text)
        case Instruction.JumpUnless(jump):
            return PendingJump(label_name(jump.target), _ref(jump.condition, text, scope), False, text)
        case Instruction.Halt():
            return HaltOp(text)
    return _classical(ins, text, scope)


def label_name(target: Target) -> str:
    match target:
        case Target.Fixed(name):
            return name
    return target.to_quil_or_debug().lstrip("@")


def _pragma(pragma: QuilPragma, text: str) -> Pragma:
    return Pragma(pragma.name, tuple(a.to_quil() for a in pragma.arguments), pragma.data, text)


def _qubit(qubit: Qubit, text: str, scope: Scope) -> int:
    match qubit:
        case Qubit.Fixed(index):
            return index
    raise scope.error(text, "qubits must be fixed integers (placeholders and variables are not allowed)")


def _gate(gate: Gate, text: str, scope: Scope) -> Op:
    qubits = tuple(_qubit(q, text, scope) for q in gate.qubits)
    if len(set(qubits)) != len(qubits):
        raise scope.error(text, "a gate cannot act twice on the same qubit")
    try:
        return gate_op(gate, qubits, text, scope.defgates, scope.lengths)
    except GateError as exc:
        raise scope.error(text, str(exc)) from None


def _measure(measurement: Measurement, text: str, scope: Scope) -> Op:
    qubit = _qubit(measurement.qubit, text, scope)
    target = measurement.target
    ref = None if target is None else _ref(target, text, scope, READOUT_TYPES)
    return MeasureOp(qubit, ref, text)


def _reset(reset: Reset, text: str, scope: Scope) -> Op:
    qubits = () if reset.qubit is None else (_qubit(reset.qubit, text, scope),)
    return ResetOp(qubits, text)


def _delay(delay: Delay, text: str, scope: Scope) -> Op:
    qubits = tuple(_qubit(q, text, scope) for q in delay.qubits)
    try:
        fn, reads_memory = compile_expression(delay.duration, scope.lengths)
        if reads_memory:
            raise ExpressionError("DELAY durations must be constants")
        seconds = real(fn({}, {}))
    except EVALUATION_ERRORS as exc:
        raise scope.error(text, str(exc)) from None
    if not 0 <= seconds <= MAX_DELAY:
        raise scope.error(text, f"DELAY takes a duration from 0 to {MAX_DELAY} s, got {seconds}")
    return DelayOp(qubits, seconds, text)


def _fence(fence: Fence, text: str, scope: Scope) -> Op:
    return FenceOp(tuple(_qubit(q, text, scope) for q in fence.qubits), text)


def _ref(ref: MemoryReference, text: str, scope: Scope, types: tuple[str, ...] | None = None) -> Ref:
    name, index = ref.name, ref.index
    if name not in scope.regions:
        raise scope.error(text, f"memory region {name!r} is not declared")
    kind, length = scope.regions[name]
    if index >= length:
        raise scope.error(text, f"{name}[{index}] is out of range: {name} is declared with length {length}")
    if types is not None and kind not in types:
        raise scope.error(text, f"cannot measure into {name}, a {kind} region (use BIT, OCTET or INTEGER)")
    return name, index


def _classical(ins: Instruction, text: str, scope: Scope) -> Op:
    try:
        apply = classical_op(ins, scope.lengths)
    except ExpressionError as exc:
        raise scope.error(text, str(exc)) from None
    if apply is None:
        keyword = text.split(maxsplit=1)[0] if text.strip() else "these"
        raise scope.error(text, f"{keyword} instructions are not supported on this processor")
    return ClassicalOp(apply, text)
