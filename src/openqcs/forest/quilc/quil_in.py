"""Quil (or OpenQASM 2.0) text -> straight-line qiskit circuits and the instructions between them.

Qubits are relabelled densely (the i-th smallest qubit id used becomes logical qubit i). Gates,
MEASURE and per-qubit RESET go into circuits; everything else (PRAGMAs, FENCE, DELAY, RESET of
all qubits, labels, jumps, classical instructions, preserved blocks) is a ``Passthrough``: a
boundary between circuits, written back as it came (with FENCE/DELAY qubits placed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import quil.program
from qiskit.circuit import Clbit, QuantumCircuit

from openqcs.forest.quilc.errors import CompileError
from openqcs.forest.quilc.expr import Parameters, to_value
from openqcs.forest.quilc.quil_gates import DefinedGate, build_gate
from openqcs.simulator.program import line_of
from openqcs.simulator.quil_expr import ExpressionError, compile_expression, enum_name

MAX_INSTRUCTIONS = 100_000
MAX_QUBIT_ID = 65_535  # final_rewiring is a list indexed by qubit id
CONTROL = {"Label", "Jump", "JumpWhen", "JumpUnless", "Move", "Exchange", "Load", "Store", "Convert",
           "Arithmetic", "BinaryLogic", "UnaryLogic", "Comparison"}
VERBATIM = {"Pragma", "Halt", "Wait"} | CONTROL
SKIPPED = {"Declaration", "GateDefinition", "Nop"}
READOUT = {"BIT", "OCTET", "INTEGER"}


@dataclass
class Passthrough:
    text: str
    qubits: tuple[int, ...] = ()  # logical qubits of a FENCE/DELAY, placed when written
    instruction: object = None  # the quil Fence/Delay to rebuild on physical qubits
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
        program = quil.program.Program.parse(source)
    except Exception as exc:
        raise CompileError(f"the program does not parse: {exc}") from None
    body = list(program.body_instructions)
    if len(body) > MAX_INSTRUCTIONS:
        raise CompileError(f"the program has {len(body)} instructions; this compiler takes at most {MAX_INSTRUCTIONS}")
    return _Reader(source, program, body).read()


class _Reader:
    def __init__(self, source: str, program, body: list[Any]) -> None:
        self.source, self.body = source, body
        self.declared: dict[str, tuple[str, int]] = {}
        declarations = []
        for name, decl in program.declarations.items():
            self.declared[name] = (enum_name(decl.size.data_type), int(decl.size.length))
            declarations.append(decl.to_quil())
        self.params = Parameters({n: length for n, (_, length) in self.declared.items()})
        self.defined = {name: _defgate(d) for name, d in program.gate_definitions.items()}
        ids = sorted({q for ins in body for q in self._qubits(ins)})
        self.logical = {q: i for i, q in enumerate(ids)}
        self.out = Parsed(declarations, ids, {}, [], self.params)
        self.refs: dict[tuple[str, int], Clbit] = {}

    def fail(self, ins, message: str) -> CompileError:
        text = ins.to_quil_or_debug()
        line = line_of(self.source, text)
        return CompileError(f"{f'line {line}: ' if line else ''}`{text}`: {message}")

    def _qubits(self, ins) -> list[int]:
        inner = getattr(ins, "_0", None)
        kind = type(ins).__name__
        qubits = []
        if kind == "Gate" or kind in ("Fence", "Delay"):
            qubits = list(inner.qubits)
        elif kind == "Measurement" or (kind == "Reset" and inner.qubit is not None):
            qubits = [inner.qubit]
        out = []
        for q in qubits:
            if type(q).__name__ != "Fixed":
                raise self.fail(ins, "qubits must be integers (placeholders and variables are not allowed)")
            index = int(q._0)
            if index > MAX_QUBIT_ID:
                raise self.fail(ins, f"qubit {index} is out of range: qubit indices go up to {MAX_QUBIT_ID}")
            out.append(index)
        return out

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
        preserving: list[Any] | None = None
        for ins in self.body:
            kind = type(ins).__name__
            if kind == "Pragma" and ins._0.name == "PRESERVE_BLOCK":
                preserving = [ins]
                continue
            if preserving is not None:
                preserving.append(ins)
                if kind == "Pragma" and ins._0.name == "END_PRESERVE_BLOCK":
                    self._preserve(preserving)
                    preserving = None
                continue
            try:
                self._instruction(ins, kind)
            except CompileError as exc:
                raise self.fail(ins, exc.message) from None
        if preserving is not None:
            raise self.fail(preserving[0], "PRAGMA PRESERVE_BLOCK has no PRAGMA END_PRESERVE_BLOCK")
        return self.out

    def _preserve(self, block: list[Any]) -> None:
        self.out.has_preserve = True
        for ins in block:
            self.out.preserved.update(self.logical[q] for q in self._qubits(ins))
        self.out.pieces.append(Passthrough("\n".join(ins.to_quil() for ins in block), keeps_zero=False))

    def _instruction(self, ins, kind: str) -> None:
        inner = getattr(ins, "_0", None)
        if kind in SKIPPED:
            return
        if kind == "Gate":
            qubits = [self.logical[q] for q in self._qubits(ins)]
            if len(set(qubits)) != len(qubits):
                raise CompileError("a gate cannot act twice on the same qubit")
            values = [to_value(p, self.params) for p in inner.parameters]
            if any(isinstance(v, float) and not math.isfinite(v) for v in values):
                raise CompileError("a gate parameter is not a finite number")
            modifiers = [enum_name(m) for m in inner.modifiers]
            gate = build_gate(inner.name, modifiers, values, len(qubits), self.defined)
            self.circuit().append(gate, qubits)
        elif kind == "Measurement":
            ref = None
            if inner.target is not None:
                ref = (inner.target.name, inner.target.index)
                self._check_readout(ref)
            (qubit,) = (self.logical[q] for q in self._qubits(ins))
            bit = self.clbit(ref)
            self.circuit().measure(qubit, bit)
        elif kind == "Reset" and inner.qubit is not None:
            self.circuit().reset(self.logical[self._qubits(ins)[0]])
        elif kind in ("Fence", "Delay") and inner.qubits:
            qubits = tuple(self.logical[q] for q in self._qubits(ins))
            self.out.pieces.append(Passthrough(ins.to_quil(), qubits, inner))
        elif kind == "Pragma" and inner.name == "INITIAL_REWIRING":
            self.out.naive = (inner.data or "").strip().upper() == "NAIVE"
            self.out.pieces.append(Passthrough(ins.to_quil()))
        elif kind in VERBATIM or kind in ("Reset", "Fence", "Delay"):
            self.out.control |= kind in CONTROL
            self.out.pieces.append(Passthrough(ins.to_quil(), keeps_zero=kind not in CONTROL))
        else:
            raise CompileError(f"{kind} instructions are not supported by this compiler")

    def _check_readout(self, ref: tuple[str, int]) -> None:
        name, index = ref
        if name not in self.declared:
            raise CompileError(f"memory region {name!r} is not declared")
        kind, length = self.declared[name]
        if index >= length:
            raise CompileError(f"{name}[{index}] is out of range: {name} is declared with length {length}")
        if kind not in READOUT:
            raise CompileError(f"cannot measure into {name}, a {kind} region (use BIT, OCTET or INTEGER)")


def _defgate(definition) -> DefinedGate:
    spec = definition.specification
    kind = type(spec).__name__
    name = definition.name
    if kind == "Permutation":
        perm = [int(p) for p in spec._0]
        size = len(perm)
        if size < 2 or size & (size - 1) or sorted(perm) != list(range(size)):
            raise CompileError(f"DEFGATE {name} AS PERMUTATION is not a permutation of 0..2^n-1")
        matrix = np.zeros((size, size), dtype=complex)
        for col, row in enumerate(perm):
            matrix[row, col] = 1
        return DefinedGate(name, [], size.bit_length() - 1, lambda _values: matrix)
    if kind != "Matrix":
        raise CompileError(f"DEFGATE {name} AS {kind.upper()} is not supported by this compiler")
    rows = spec._0
    size = len(rows)
    if size < 2 or size & (size - 1) or any(len(r) != size for r in rows):
        raise CompileError(f"DEFGATE {name} is not a 2^n x 2^n matrix")
    try:
        entries = [[compile_expression(e, {})[0] for e in row] for row in rows]
    except ExpressionError as exc:
        raise CompileError(f"DEFGATE {name}: {exc}") from None
    params = list(definition.parameters)

    def matrix(values: list[float]) -> np.ndarray:
        env = dict(zip(params, values, strict=True))
        try:
            return np.array([[f({}, env) for f in row] for row in entries], dtype=complex)
        except (ExpressionError, ZeroDivisionError, OverflowError, ValueError, KeyError) as exc:
            raise CompileError(f"DEFGATE {name}: cannot evaluate its matrix: {exc}") from None

    return DefinedGate(name, params, size.bit_length() - 1, matrix)
