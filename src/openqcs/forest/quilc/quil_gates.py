"""Quil gates as qiskit gates whose qubits are in Quil's operand order.

Conventions checked against our own matrix table (``openqcs.simulator.gates``): qiskit's RX/RY/
RZ/U/PHASE(=P)/CPHASE(=CP) match Quil's; Quil's XY(θ) is XXPlusYY(-θ); DEFGATE matrices are
big-endian in Quil (first operand = most significant bit) and little-endian in qiskit, so they
are reordered before becoming a ``UnitaryGate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from qiskit.circuit import Gate, QuantumCircuit
from qiskit.circuit.library import (
    CCXGate,
    CPhaseGate,
    CSwapGate,
    CXGate,
    CZGate,
    HGate,
    IGate,
    PhaseGate,
    RXGate,
    RYGate,
    RZGate,
    SGate,
    SwapGate,
    TGate,
    UGate,
    UnitaryGate,
    XGate,
    YGate,
    ZGate,
    iSwapGate,
)
from quil.instructions import GateDefinition

from openqcs.forest.quilc.errors import CompileError
from openqcs.forest.quilc.expr import Value
from openqcs.forest.quilc.target import XYGate
from openqcs.simulator import gates as table
from openqcs.simulator.gate_ops import EVALUATION_ERRORS, GateError, defgate


def _cphase_flipped(flips: Sequence[int]) -> Callable[[Value], Gate]:
    """CPHASE00/01/10: CPHASE with X around the qubits whose bit must be 0."""
    def build(theta: Value) -> Gate:
        circuit = QuantumCircuit(2)
        for q in flips:
            circuit.x(q)
        circuit.cp(theta, 0, 1)
        for q in flips:
            circuit.x(q)
        return circuit.to_gate(label="cphase")
    return build


def _pswap(theta: Value) -> Gate:
    # SWAP, then diag(1, e^iθ, e^iθ, 1)
    circuit = QuantumCircuit(2)
    circuit.swap(0, 1)
    circuit.p(theta, 0)
    circuit.p(theta, 1)
    circuit.cp(-2 * theta, 0, 1)
    return circuit.to_gate(label="pswap")


# name -> (parameter count, qubit count, builder)
STANDARD: dict[str, tuple[int, int, Callable[..., Gate]]] = {
    "I": (0, 1, IGate), "X": (0, 1, XGate), "Y": (0, 1, YGate), "Z": (0, 1, ZGate),
    "H": (0, 1, HGate), "S": (0, 1, SGate), "T": (0, 1, TGate),
    "RX": (1, 1, RXGate), "RY": (1, 1, RYGate), "RZ": (1, 1, RZGate), "PHASE": (1, 1, PhaseGate),
    "U": (3, 1, UGate),
    "CZ": (0, 2, CZGate), "CNOT": (0, 2, CXGate), "SWAP": (0, 2, SwapGate), "ISWAP": (0, 2, iSwapGate),
    "CPHASE": (1, 2, CPhaseGate), "CPHASE00": (1, 2, _cphase_flipped((0, 1))),
    "CPHASE01": (1, 2, _cphase_flipped((0,))), "CPHASE10": (1, 2, _cphase_flipped((1,))),
    "PSWAP": (1, 2, _pswap), "XY": (1, 2, XYGate),
    "CCNOT": (0, 3, CCXGate), "CSWAP": (0, 3, CSwapGate),
}


def little_endian(matrix: np.ndarray) -> np.ndarray:
    """Reverse the qubit order of a 2^n x 2^n matrix."""
    n = int(math.log2(matrix.shape[0]))
    axes = list(range(n))[::-1]
    tensor = matrix.reshape([2] * (2 * n))
    return tensor.transpose(axes + [n + a for a in axes]).reshape(matrix.shape)


class DefinedGate:
    """A DEFGATE, read by the simulator's ``gate_ops.defgate`` (which checks its matrix)."""

    def __init__(self, definition: GateDefinition) -> None:
        self.name = definition.name
        try:
            self.params, self.qubits, self.matrix = defgate(definition)
        except GateError as exc:
            raise CompileError(str(exc)) from None

    def gate(self, values: list[Value]) -> Gate:
        numbers = [v for v in values if isinstance(v, float)]
        if len(numbers) != len(values):
            raise CompileError(f"DEFGATE {self.name} cannot take memory references as parameters; pass numbers")
        try:
            m = self.matrix(numbers)
        except GateError as exc:  # not unitary for these values, or a %variable it does not take
            raise CompileError(str(exc)) from None
        except EVALUATION_ERRORS as exc:
            raise CompileError(f"DEFGATE {self.name}: cannot evaluate its matrix: {exc}") from None
        return UnitaryGate(little_endian(m), label=self.name.lower(), check_input=False)


def _forked(inner: Callable[[list[Value]], Gate], values: list[Value], qubits: int) -> Gate:
    half = len(values) // 2
    circuit = QuantumCircuit(qubits + 1)
    circuit.append(inner(values[:half]).control(1, ctrl_state=0), range(qubits + 1))
    circuit.append(inner(values[half:]).control(1, ctrl_state=1), range(qubits + 1))
    return circuit.to_gate(label="forked")


def _spread(fn: Callable[..., Gate]) -> Callable[[list[Value]], Gate]:
    """A standard gate's constructor taking its parameters as one list, like a DEFGATE's."""
    return lambda values: fn(*values)


def build_gate(name: str, modifiers: list[str], values: list[Value], n_qubits: int,
               defined: dict[str, DefinedGate]) -> Gate:
    """The qiskit gate of ``MODIFIERS... name(values)`` on ``n_qubits`` operands (Quil order)."""
    if name in defined:
        base_params, base_qubits = defined[name].params, defined[name].qubits
        base: Callable[[list[Value]], Gate] = defined[name].gate
    elif name in STANDARD:
        base_params, base_qubits, fn = STANDARD[name]
        base = _spread(fn)
    else:
        raise CompileError(f"unknown gate {name}: use a standard Quil gate or DEFGATE it")
    want_params, want_qubits = table.modified_shape(modifiers, base_params, base_qubits)
    if len(values) != want_params:
        raise CompileError(f"{name} takes {want_params} parameter(s), got {len(values)}")
    if n_qubits != want_qubits:
        raise CompileError(f"{name} acts on {want_qubits} qubit(s), got {n_qubits}")
    return _modified(list(modifiers), base, list(values), base_qubits)


def _modified(mods: list[str], base: Callable[[list[Value]], Gate], values: list[Value], qubits: int) -> Gate:
    if not mods:
        return base(values)
    head, rest = mods[0], mods[1:]
    inner_qubits = qubits + sum(m in ("CONTROLLED", "FORKED") for m in rest)
    if head == "DAGGER":
        return _modified(rest, base, values, qubits).inverse()
    if head == "CONTROLLED":
        return _modified(rest, base, values, qubits).control(1)
    if head == "FORKED":
        return _forked(lambda vs: _modified(rest, base, vs, qubits), values, inner_qubits)
    raise CompileError(f"unknown gate modifier {head}")
