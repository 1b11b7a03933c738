"""Quil (or OpenQASM 2.0) text -> straight-line qiskit circuits and the instructions between them.

Qubits are relabelled densely (the i-th smallest qubit id used becomes logical qubit i). Gates,
MEASURE and per-qubit RESET go into circuits; everything else (PRAGMAs, FENCE, DELAY, RESET of
all qubits, labels, jumps, classical instructions, preserved blocks) is a ``Passthrough``: a
boundary between circuits, written back as it came (with FENCE/DELAY qubits placed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from qiskit.circuit import Clbit, QuantumCircuit
from quil import QuilError
from quil.instructions import Delay, Fence, Gate, Instruction, Measurement, Qubit
from quil.program import Program

from openqcs.forest.quilc.errors import CompileError
from openqcs.forest.quilc.expr import Parameters, to_value
from openqcs.forest.quilc.quil_gates import DefinedGate, build_gate
from openqcs.simulator.program import line_of

MAX_INSTRUCTIONS = 100_000
MAX_QUBIT_ID = 65_535  # final_rewiring is a list indexed by qubit id
CONTROL: tuple[type[Instruction], ...] = (
    Instruction.Label, Instruction.Jump, Instruction.JumpWhen, Instruction.JumpUnless, Instruction.Move,
    Instruction.Exchange, Instruction.Load, Instruction.Store, Instruction.Convert, Instruction.Arithmetic,
    Instruction.BinaryLogic, Instruction.UnaryLogic, Instruction.Comparison)
# written back as they came: control, and what is left of PRAGMA / RESET / FENCE / DELAY
VERBATIM = (*CONTROL, Instruction.Pragma, Instruction.Halt, Instruction.Wait, Instruction.Reset,
            Instruction.Fence, Instruction.Delay)
READOUT = {"BIT", "OCTET", "INTEGER"}


@dataclass
class Passthrough:
    text: str
    qubits: tuple[int, ...] = ()  # logical qubits of a FENCE/DELAY, placed when written
    instruction: Fence | Delay | None = None  # rebuilt on physical qubits when written
    # False when qubits may not be in |0> after it (a preserved block acts on them; a label
    # can be jumped back to), so the next circuit must not assume they start in |0>
    keeps_zero: bool = True


@dataclass
class Parsed:
    declarations: list[str]
    qubit_ids: list[int]  # logical index -> the qubit id the input used
    clbits: dict[Clbit, tuple[str, int] | None]  # None: MEASURE without a target
    pieces: list[QuantumCircuit | Passthrough]
    params: Parameters
    control: bool = False
    preserved: set[int] = field(default_factory=set)  # logical qubits inside PRESERVE_BLOCKs
    has_preserve: bool = False
    naive: bool = False  # PRAGMA INITIAL_REWIRING "NAIVE": logical qubit q starts on device qubit q


def read_program(source: str) -> Parsed:
    if not isinstance(source, str) or not source.strip():
        raise CompileError("the program is empty")
    if source.lstrip().upper().startswith("OPENQASM"):
        from openqcs.forest.quilc.qasm_in import read_qasm
        return read_qasm(source)
    try:
        program = Program.parse(source)
    except QuilError as exc:
        raise CompileError(f"the program does not parse: {exc}") from None
    body = program.body_instructions
    if len(body) > MAX_INSTRUCTIONS:
        raise CompileError(f"the program has {len(body)} instructions; this compiler takes at most {MAX_INSTRUCTIONS}")
    return _Reader(source, program, body).read()


def _operands(ins: Instruction) -> list[Qubit]:
    match ins:
        case Instruction.Gate(gate):
            return gate.qubits
        case Instruction.Fence(fence):
            return fence.qubits
        case Instruction.Delay(delay):
            return delay.qubits
        case Instruction.Measurement(measurement):
            return [measurement.qubit]
        case Instruction.Reset(reset) if reset.qubit is not None:
            return [reset.qubit]
    return []


def _pragma_name(ins: Instruction) -> str | None:
    match ins:
        case Instruction.Pragma(pragma):
            return pragma.name
    return None


class _Reader:
    def __init__(self, source: str, program: Program, body: list[Instruction]) -> None:
        self.source, self.body = source, body
        self.declared: dict[str, tuple[str, int]] = {}
        declarations = []
        for name, decl in program.declarations.items():
            self.declared[name] = (decl.size.data_type.to_quil(), int(decl.size.length))
            declarations.append(decl.to_quil())
        self.params = Parameters({n: length for n, (_, length) in self.declared.items()})
        self.defined = {name: DefinedGate(d) for name, d in program.gate_definitions.items()}
        ids = sorted({q for ins in body for q in self._qubits(ins)})
        self.logical = {q: i for i, q in enumerate(ids)}
        self.out = Parsed(declarations, ids, {}, [], self.params)
        self.refs: dict[tuple[str, int], Clbit] = {}

    def fail(self, ins: Instruction, message: str) -> CompileError:
        text = ins.to_quil_or_debug()
        line = line_of(self.source, text)
        return CompileError(f"{f'line {line}: ' if line else ''}`{text}`: {message}")

    def _qubits(self, ins: Instruction) -> list[int]:
        out = []
        for qubit in _operands(ins):
            match qubit:
                case Qubit.Fixed(index):
                    if index > MAX_QUBIT_ID:
                        raise self.fail(ins, f"qubit {index} is out of range: qubit indices go up to {MAX_QUBIT_ID}")
                    out.append(index)
                case _:
                    raise self.fail(ins, "qubits must be integers (placeholders and variables are not allowed)")
        return out

    def _logical(self, ins: Instruction) -> tuple[int, ...]:
        return tuple(self.logical[q] for q in self._qubits(ins))

    def circuit(self) -> QuantumCircuit:
        if not self.out.pieces or not isinstance(self.out.pieces[-1], QuantumCircuit):
            circuit = QuantumCircuit(len(self.logical))
            circuit.add_bits(list(self.out.clbits))
            self.out.pieces.append(circuit)
        return self.out.pieces[-1]

    def clbit(self, ref: tuple[str, int] | None) -> Clbit:
        if ref is not None and ref in self.refs:
            return self.refs[ref]
        bit = Clbit()
        self.out.clbits[bit] = ref
        for piece in self.out.pieces:
            if isinstance(piece, QuantumCircuit):
                piece.add_bits([bit])
        if ref is not None:
            self.refs[ref] = bit
        return bit

    def read(self) -> Parsed:
        preserving: list[Instruction] | None = None
        for ins in self.body:
            pragma = _pragma_name(ins)
            if pragma == "PRESERVE_BLOCK":
                preserving = [ins]
                continue
            if preserving is not None:
                preserving.append(ins)
                if pragma == "END_PRESERVE_BLOCK":
                    self._preserve(preserving)
                    preserving = None
                continue
            try:
                self._instruction(ins)
            except CompileError as exc:
                raise self.fail(ins, exc.message) from None
        if preserving is not None:
            raise self.fail(preserving[0], "PRAGMA PRESERVE_BLOCK has no PRAGMA END_PRESERVE_BLOCK")
        return self.out

    def _preserve(self, block: list[Instruction]) -> None:
        self.out.has_preserve = True
        for ins in block:
            self.out.preserved.update(self._logical(ins))
        self.out.pieces.append(Passthrough("\n".join(ins.to_quil() for ins in block), keeps_zero=False))

    def _instruction(self, ins: Instruction) -> None:
        match ins:
            case Instruction.Declaration() | Instruction.GateDefinition() | Instruction.Nop():
                pass
            case Instruction.Gate(gate):
                self._gate(gate, self._logical(ins))
            case Instruction.Measurement(measurement):
                self._measure(measurement, self._logical(ins))
            case Instruction.Reset(reset) if reset.qubit is not None:
                self.circuit().reset(self._logical(ins)[0])
            case Instruction.Fence(placed) | Instruction.Delay(placed) if placed.qubits:
                self.out.pieces.append(Passthrough(ins.to_quil(), self._logical(ins), placed))
            case Instruction.Pragma(pragma) if pragma.name == "INITIAL_REWIRING":
                self.out.naive = (pragma.data or "").strip().upper() == "NAIVE"
                self.out.pieces.append(Passthrough(ins.to_quil()))
            case _ if isinstance(ins, VERBATIM):
                control = isinstance(ins, CONTROL)
                self.out.control |= control
                self.out.pieces.append(Passthrough(ins.to_quil(), keeps_zero=not control))
            case _:
                keyword = ins.to_quil_or_debug().split(maxsplit=1)[0]
                raise CompileError(f"{keyword} instructions are not supported by this compiler")

    def _gate(self, gate: Gate, qubits: tuple[int, ...]) -> None:
        if len(set(qubits)) != len(qubits):
            raise CompileError("a gate cannot act twice on the same qubit")
        values = [to_value(p, self.params) for p in gate.parameters]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise CompileError("a gate parameter is not a finite number")
        modifiers = [m.to_quil() for m in gate.modifiers]
        self.circuit().append(build_gate(gate.name, modifiers, values, len(qubits), self.defined), qubits)

    def _measure(self, measurement: Measurement, qubits: tuple[int, ...]) -> None:
        ref = None
        if measurement.target is not None:
            ref = (measurement.target.name, measurement.target.index)
            self._check_readout(ref)
        self.circuit().measure(qubits[0], self.clbit(ref))

    def _check_readout(self, ref: tuple[str, int]) -> None:
        name, index = ref
        if name not in self.declared:
            raise CompileError(f"memory region {name!r} is not declared")
        kind, length = self.declared[name]
        if index >= length:
            raise CompileError(f"{name}[{index}] is out of range: {name} is declared with length {length}")
        if kind not in READOUT:
            raise CompileError(f"cannot measure into {name}, a {kind} region (use BIT, OCTET or INTEGER)")
