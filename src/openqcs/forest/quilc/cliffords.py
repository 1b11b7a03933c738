"""Quil text -> Clifford tableaux (stim), for quilc's benchmarking methods.

A tableau here always acts on dense qubits: position i is the i-th qubit of some sorted list of
physical qubits that the caller chooses (the Clifford's own, or a union with a Pauli's).
Gate matrices come from the simulator's table (Quil order: first operand most significant), so
every standard gate, modifier and DEFGATE the simulator knows is understood here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import stim

from openqcs.errors import InvalidArgument
from openqcs.simulator.program import GateOp, parse_program


@dataclass(frozen=True)
class Gate:
    text: str
    qubits: tuple[int, ...]  # physical qubits, in operand order
    tableau: stim.Tableau  # on len(qubits) qubits, operand i = tableau qubit i


@dataclass(frozen=True)
class CliffordProgram:
    qubits: list[int]  # sorted physical qubits the program touches
    gates: list[Gate]  # in time order

    def tableau_on(self, qubits: Sequence[int]) -> stim.Tableau:
        """The whole program as one tableau on ``qubits`` (sorted, a superset of ``self.qubits``)."""
        position = {q: i for i, q in enumerate(qubits)}
        total = stim.Tableau(len(qubits))
        for gate in self.gates:
            total.append(gate.tableau, [position[q] for q in gate.qubits])
        return total


def parse_clifford(text: str, what: str = "the Clifford") -> CliffordProgram:
    """Parse Quil that must be a Clifford circuit; ValueError naming the offending instruction.

    Blank text is the identity (no qubits).
    """
    if not isinstance(text, str):
        raise ValueError(f"{what} must be Quil text, got {type(text).__name__}")
    if not text.strip():
        return CliffordProgram([], [])
    try:
        program = parse_program(text)
    except InvalidArgument as exc:
        raise ValueError(f"{what} is not valid Quil: {exc.message}") from None
    gates = []
    for op in program.ops:
        if not isinstance(op, GateOp):
            raise ValueError(f"{what} may hold only gates, but holds `{op.text}`")
        if op.matrix is None:
            raise ValueError(f"{what}: `{op.text}` has parameters that read memory; Clifford angles must be numbers")
        physical = tuple(program.qubits[q] for q in op.qubits)
        gates.append(Gate(op.text, physical, gate_tableau(op.matrix, f"{what}: `{op.text}`")))
    return CliffordProgram(sorted(program.qubits), gates)


def gate_tableau(matrix: np.ndarray, name: str) -> stim.Tableau:
    """The tableau of one gate matrix (Quil order), or ValueError naming it if it is not a Clifford."""
    message = f"{name} is not a Clifford gate (angles must be multiples of pi/2)"
    try:
        tableau = stim.Tableau.from_unitary_matrix(matrix, endian="big")
    except ValueError:
        raise ValueError(message) from None
    # stim rounds to the nearest stabilizer state (it accepts RX(1.5)); check the fit ourselves.
    exact = tableau.to_unitary_matrix(endian="big")
    phase = np.vdot(exact, matrix) / matrix.shape[0]
    if not np.allclose(matrix, phase * exact, atol=1e-9):
        raise ValueError(message)
    return tableau


def key(tableau: stim.Tableau) -> str:
    """A hashable name of a Clifford up to global phase (stim tableaux themselves are unhashable)."""
    return str(tableau)
