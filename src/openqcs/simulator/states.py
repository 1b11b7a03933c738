"""State-vector entry points (the QVM's ``wavefunction`` and ``expectation``), on the same
engines as the job workers: qiskit-aer, or the reference interpreter for classical control.

Amplitudes are indexed as pyquil's ``Wavefunction`` reads them: bit k of the index is dense
qubit k (the k-th used qubit in ascending order).
"""

from __future__ import annotations

import dataclasses
from typing import cast

import numpy as np

from openqcs.errors import InvalidArgument
from openqcs.simulator.engine import get_engine
from openqcs.simulator.engines.aer import AerEngine
from openqcs.simulator.engines.reference import ReferenceEngine, apply
from openqcs.simulator.ir import ClassicalOp, GateOp, HaltOp, JumpOp, Memory, ParsedProgram
from openqcs.simulator.noise import Noise
from openqcs.simulator.quil_expr import ExpressionError

MAX_STATE_QUBITS = 26  # 2^26 amplitudes are 1 GiB


def check_width(count: int) -> None:
    if count > MAX_STATE_QUBITS:
        raise InvalidArgument(f"the program uses {count} qubits; this simulator holds state vectors of at most "
                              f"{MAX_STATE_QUBITS} qubits (2^{MAX_STATE_QUBITS} amplitudes)")


def hoist_prelude(program: ParsedProgram, memory: Memory) -> tuple[ParsedProgram, Memory]:
    """Run the leading classical instructions (the ``MOVE``s clients prepend for a memory map)
    once, so that a parametric program without other control keeps the fast sampling paths."""
    if any(isinstance(op, (JumpOp, HaltOp)) for op in program.ops):
        return program, memory
    prelude: list[ClassicalOp] = []
    for op in program.ops:
        if not isinstance(op, ClassicalOp):
            break
        prelude.append(op)
    if not prelude:
        return program, memory
    memory = {k: v.copy() for k, v in memory.items()}
    for classical in prelude:
        try:
            classical.apply(memory)
        except ExpressionError as exc:
            raise program.error(classical.text, str(exc)) from None
    rest = program.ops[len(prelude):]
    has_control = any(isinstance(op, ClassicalOp) for op in rest)
    return dataclasses.replace(program, ops=rest, has_control=has_control), memory


def final_state(program: ParsedProgram, memory: Memory, noise: Noise | None = None,
                seed: int | None = None) -> np.ndarray:
    """The state after one run of ``program``; noise and mid-circuit measurements are drawn once."""
    n = len(program.qubits)
    check_width(n)
    if n == 0:
        return np.ones(1, dtype=complex)
    program, memory = hoist_prelude(program, memory)
    if not program.has_control:
        return cast(AerEngine, get_engine("aer")).final_state(program, memory, noise, seed)
    reference = cast(ReferenceEngine, get_engine("reference"))
    state, _ = reference.trajectory(program, memory, noise, np.random.default_rng(seed))
    flat: np.ndarray = state.transpose(tuple(reversed(range(n)))).reshape(-1)
    return flat


def expectations(prep: ParsedProgram, memory: Memory, operators: list[ParsedProgram], noise: Noise | None = None,
                 seed: int | None = None) -> list[float]:
    """Re <psi|O|psi> for each operator program O (gates only), psi = prep's final state.
    ``noise`` must be built for ``prep``'s qubits."""
    gates: list[list[GateOp]] = []
    for op_program in operators:
        gates.append([])
        for op in op_program.ops:
            if not isinstance(op, GateOp):
                raise op_program.error(op.text, "an operator program may hold only gates")
            gates[-1].append(op)
    qubits = sorted(set(prep.qubits).union(*(o.qubits for o in operators)))
    check_width(len(qubits))
    if not qubits:
        return [1.0] * len(operators)
    psi = _on_qubits(final_state(prep, memory, noise, seed), prep.qubits, qubits)
    values = []
    for op_program, program_gates in zip(operators, gates, strict=True):
        where = [qubits.index(q) for q in op_program.qubits]
        zeros = {name: np.zeros(length) for name, (_, length) in op_program.regions.items()}
        phi = psi
        for gate in program_gates:
            phi = apply(phi, op_program.gate_matrix(gate, zeros), tuple(where[q] for q in gate.qubits))
        values.append(float(np.vdot(psi, phi).real))
    return values


def _on_qubits(state: np.ndarray, own: list[int], qubits: list[int]) -> np.ndarray:
    """A little-endian state on ``own`` qubits as a tensor (axis i = ``qubits[i]``), the others |0>."""
    k = len(own)
    tensor = state.reshape((2,) * k).transpose(tuple(reversed(range(k)))) if k else state.reshape(())
    full = np.zeros((2,) * len(qubits), dtype=complex)
    full[tuple(slice(None) if q in own else 0 for q in qubits)] = tensor
    return full
