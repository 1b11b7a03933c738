"""qsim (qsimcirq) engine for wide programs without classical control.

Noiseless: one state vector, every shot sampled from it. Noisy: gate noise drawn as Pauli
errors (relaxation by its Pauli twirl, which keeps its average fidelity) into noise
realizations, each a noiseless circuit sampled for its share of the shots; the count follows
a work budget (fewer for wider programs). Readout error is applied classically to the bits.
cirq's MatrixGate takes Quil's order (first qubit most significant), so matrices pass as they are.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from openqcs.simulator.engine import Capabilities, EngineResult, empty_readout
from openqcs.simulator.ir import GateOp, MeasureOp, Memory, ParsedProgram, Ref
from openqcs.simulator.noise import Channel, Depolarizing, Noise, Pauli, Thermal, pauli_twirl

REALIZATION_BUDGET = 4e10  # amplitude updates (2^n x instructions x realizations) per run
MIN_REALIZATIONS = 4
MAX_REALIZATIONS = 64


class QsimEngine:
    name = "qsim"
    capabilities = Capabilities(min_qubits=9)

    def __init__(self, threads: int | None = None) -> None:
        import cirq
        import qsimcirq

        self._cirq = cirq
        if threads is None:  # qsim parallelises with OpenMP: follow its variable, as the job workers pin it
            threads = int(os.environ.get("OMP_NUM_THREADS") or 1)
        self._options = {"t": max(1, threads), "f": 3}
        self._simulator = qsimcirq.QSimSimulator  # type: ignore[attr-defined]  # qsimcirq's re-export
        self._paulis = (None, cirq.X, cirq.Y, cirq.Z)

    def run(self, program: ParsedProgram, memory: Memory, shots: int, noise: Noise | None,
            seed: int | None) -> EngineResult:
        if program.has_control or not program.sampleable or (noise is not None and noise.has_kraus):
            raise ValueError("the qsim engine runs sampleable programs without Kraus noise only")
        rng = np.random.default_rng(seed)
        readout = empty_readout(program, shots)
        targets: list[tuple[int, Ref]] = [(op.qubit, op.ref) for op in program.ops if isinstance(op, MeasureOp)
                                          and op.ref is not None and op.ref[0] in program.readout]
        if targets and shots:
            if noise is None:
                bits = self._sample(self._circuit(program, memory, None, rng, targets), shots, seed)
            else:
                per_circuit = 2 ** len(program.qubits) * max(1, len(program.ops))
                count = int(min(MAX_REALIZATIONS, max(MIN_REALIZATIONS, REALIZATION_BUDGET // per_circuit), shots))
                share = -(-shots // count)
                parts = [self._sample(self._circuit(program, memory, noise, rng, targets), share, rng.integers(2**31))
                         for _ in range(count)]
                bits = rng.permutation(np.concatenate(parts))[:shots]
                for i, (q, _) in enumerate(targets):
                    p10, p01 = noise.readout_error(q)
                    if p10 or p01:
                        flip = np.where(bits[:, i] == 1, p01, p10)
                        bits[:, i] ^= (rng.random(shots) < flip).astype(bits.dtype)
            for i, (_, ref) in enumerate(targets):
                readout[ref[0]][:, ref[1]] = bits[:, i]
        mem = {k: v.copy() for k, v in memory.items()}
        for name in readout:
            mem[name][:] = readout[name][-1] if shots else 0
        return EngineResult(readout, mem)

    def _sample(self, circuit: Any, shots: int, seed: int | np.integer[Any] | None) -> np.ndarray:
        sim = self._simulator(qsim_options=self._options, seed=None if seed is None else int(seed) % 2**31)
        result = sim.run(circuit, repetitions=shots)
        return np.asarray(result.measurements["m"], dtype=np.int64)

    def _circuit(self, program: ParsedProgram, memory: Memory, noise: Noise | None, rng: np.random.Generator,
                 targets: list[tuple[int, Ref]]) -> Any:
        cirq = self._cirq
        qubits = cirq.LineQubit.range(max(len(program.qubits), 1))
        ops: list[Any] = []
        for op in program.ops:
            before, after = noise.around(op) if noise is not None else ((), ())
            for ch in before:
                ops += self._sampled(ch, qubits, rng)
            if isinstance(op, GateOp) and op.name != "I":  # measurements all come last (sampleable)
                ops.append(cirq.MatrixGate(program.gate_matrix(op, memory)).on(*(qubits[q] for q in op.qubits)))
            for ch in after:
                ops += self._sampled(ch, qubits, rng)
        ops.append(cirq.measure(*(qubits[q] for q, _ in targets), key="m"))
        return cirq.Circuit(ops)

    def _sampled(self, ch: Channel, qubits: list[Any], rng: np.random.Generator) -> list[Any]:
        """One draw of a channel as Pauli gates."""
        if isinstance(ch, Depolarizing):
            if rng.random() >= ch.param:
                return []
            picks = [(q, self._paulis[rng.integers(4)]) for q in ch.qubits]
            return [gate.on(qubits[q]) for q, gate in picks if gate is not None]
        if isinstance(ch, Thermal):
            px, pz = pauli_twirl(ch)
            ch = Pauli(ch.qubit, px, px, pz)
        if isinstance(ch, Pauli):
            r = rng.random()
            for gate, p in zip(self._paulis[1:], (ch.px, ch.py, ch.pz), strict=True):
                if r < p:
                    return [gate.on(qubits[ch.qubit])]
                r -= p
        return []
