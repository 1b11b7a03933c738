"""The simulator's intermediate form of a program: what ``parse.py`` builds and the engines run.

Qubits are dense indices (``ParsedProgram.qubits[i]`` is the physical qubit of dense qubit i),
gate matrices are built once unless a parameter reads memory, and memory references stay
symbolic until an execution supplies its memory map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import quil
from numpy.typing import NDArray
from quil.instructions import Instruction

from openqcs.errors import InvalidArgument
from openqcs.simulator.gates import Matrix
from openqcs.simulator.quil_expr import ExpressionError

Memory = dict[str, NDArray[np.float64]]
Ref = tuple[str, int]


@dataclass(slots=True)
class GateOp:
    name: str
    qubits: tuple[int, ...]
    matrix: Matrix | None  # None when a parameter reads memory
    build: Callable[[Memory], Matrix] | None
    virtual: bool
    text: str
    native_form: bool = True  # no modifiers, not a DEFGATE: may be a calibrated gate


@dataclass(slots=True)
class MeasureOp:
    qubit: int
    ref: Ref | None
    text: str


@dataclass(slots=True)
class ResetOp:
    qubits: tuple[int, ...]
    text: str


@dataclass(slots=True)
class DelayOp:
    """The qubits wait ``seconds`` (relaxing as they do); no qubits means every qubit."""

    qubits: tuple[int, ...]
    seconds: float
    text: str


@dataclass(slots=True)
class FenceOp:
    """The qubits' timelines meet (the later ones wait); no qubits means every qubit."""

    qubits: tuple[int, ...]
    text: str


@dataclass(slots=True)
class JumpOp:
    target: int  # index into ops
    cond: Ref | None
    when: bool
    text: str


@dataclass(slots=True)
class ClassicalOp:
    apply: Callable[[Memory], None]
    text: str


@dataclass(slots=True)
class HaltOp:
    text: str = "HALT"


Op = GateOp | MeasureOp | ResetOp | DelayOp | FenceOp | JumpOp | ClassicalOp | HaltOp


@dataclass(frozen=True, slots=True)
class Pragma:
    name: str
    arguments: tuple[str, ...]
    data: str | None
    text: str


@dataclass
class ParsedProgram:
    source: str
    qubits: list[int]  # dense index -> physical qubit
    ops: list[Op]
    regions: dict[str, tuple[str, int]]  # name -> (type, length)
    readout: dict[str, int]
    parameters: dict[str, tuple[str, int]]
    has_control: bool = False  # jumps or classical instructions: needs the per-shot path
    has_reset: bool = False
    mid_measure: bool = False  # something acts on a qubit after it was measured
    labels: dict[str, int] = field(default_factory=dict)
    pragmas: list[Pragma] = field(default_factory=list)  # kept for noise pragmas (ADD-KRAUS, READOUT-POVM)

    @property
    def sampleable(self) -> bool:
        """All shots may be drawn from one final state (given an exact or noiseless run)."""
        return not (self.has_control or self.has_reset or self.mid_measure)

    def gate_matrix(self, op: GateOp, memory: Memory) -> Matrix:
        if op.matrix is not None:
            return op.matrix
        assert op.build is not None  # a GateOp has a matrix or a way to build one
        try:
            return op.build(memory)
        except (ExpressionError, ZeroDivisionError, OverflowError, ValueError) as exc:
            raise self.error(op.text, f"cannot evaluate its parameters: {exc}") from None

    def line_of(self, text: str) -> int | None:
        return line_of(self.source, text)

    def error(self, text: str, message: str) -> InvalidArgument:
        return instruction_error(self.source, text, message)


def line_of(source: str, text: str) -> int | None:
    """The first source line holding the instruction ``text`` (only computed for error messages)."""
    for number, line in enumerate(source.splitlines(), start=1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        if body == text:
            return number
        try:
            if Instruction.parse(body).to_quil_or_debug() == text:
                return number
        except quil.QuilError:  # continuation lines of DEFGATE etc. do not parse alone
            continue
    return None


def instruction_error(source: str, text: str, message: str) -> InvalidArgument:
    line = line_of(source, text)
    where = f"line {line}: " if line else ""
    return InvalidArgument(f"{where}`{text}`: {message}")
