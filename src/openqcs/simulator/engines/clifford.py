"""stim engine: Clifford programs, at any width, noiseless or with Pauli noise only.

Each gate's matrix becomes a stim tableau (checked: stim accepts some non-Clifford matrices
silently), measurements and resets are native to stim, depolarizing and Pauli channels are
stim's DEPOLARIZE / PAULI_CHANNEL; readout error is applied classically to the sampled bits.
Relaxation (T1/T2) is not a Pauli channel, so calibrated noise stays with the other engines.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from cachetools import LRUCache

from openqcs.simulator.engine import Capabilities, EngineResult, empty_readout
from openqcs.simulator.ir import GateOp, MeasureOp, Memory, ParsedProgram, ResetOp
from openqcs.simulator.noise import Channels, Depolarizing, Noise, Pauli

TABLEAUX_KEPT = 4096  # gate matrices -> stim circuits (or None), per process
StimCircuit = Any  # stim is untyped


class StimEngine:
    name = "stim"
    capabilities = Capabilities(clifford_only=True, min_qubits=13)

    def __init__(self) -> None:
        import stim

        self._stim = stim
        self._tableaux: LRUCache[bytes, StimCircuit | None] = LRUCache(maxsize=TABLEAUX_KEPT)
        self._lock = threading.Lock()

    def gate_circuit(self, matrix: np.ndarray) -> StimCircuit | None:
        """The stim circuit of a Clifford matrix (Quil order), or None when it is not Clifford."""
        key = matrix.tobytes()
        with self._lock:
            if key in self._tableaux:
                return self._tableaux[key]
        found = self._tableau(matrix)
        with self._lock:
            self._tableaux[key] = found
        return found

    def _tableau(self, matrix: np.ndarray) -> StimCircuit | None:
        try:
            tableau = self._stim.Tableau.from_unitary_matrix(matrix, endian="big")
        except ValueError:
            return None
        back = tableau.to_unitary_matrix(endian="big")
        overlap = abs(np.trace(back.conj().T @ matrix)) / matrix.shape[0]
        return tableau.to_circuit() if abs(overlap - 1) < 1e-6 else None

    def accepts(self, program: ParsedProgram, memory: Memory, noise: Noise | None) -> bool:
        if program.has_control or (noise is not None and noise.has_kraus):
            return False
        for op in program.ops:
            if isinstance(op, GateOp):
                if op.matrix is None and not memory:
                    return False  # parametric, and no memory to resolve it with
                if self.gate_circuit(program.gate_matrix(op, memory)) is None:
                    return False
            if noise is not None:
                for ch in (c for side in noise.around(op) for c in side):
                    if not isinstance(ch, (Depolarizing, Pauli)):
                        return False
        return True

    def run(self, program: ParsedProgram, memory: Memory, shots: int, noise: Noise | None,
            seed: int | None) -> EngineResult:
        if not self.accepts(program, memory, noise):
            raise ValueError("the stim engine runs Clifford programs with Pauli noise only")
        circuit = self._stim.Circuit()
        records: list[tuple[int, tuple[str, int] | None]] = []  # per measurement: qubit, reference
        for op in program.ops:
            before, after = noise.around(op) if noise is not None else ((), ())
            self._channels(circuit, before)
            if isinstance(op, GateOp):
                gate = self.gate_circuit(program.gate_matrix(op, memory))
                assert gate is not None  # accepts() checked every gate
                for ins in gate:
                    targets = [op.qubits[t.value] for t in ins.targets_copy()]
                    circuit.append(ins.name, targets, ins.gate_args_copy())
            elif isinstance(op, MeasureOp):
                circuit.append("M", [op.qubit])
                records.append((op.qubit, op.ref))
            elif isinstance(op, ResetOp):
                circuit.append("R", list(op.qubits))
            self._channels(circuit, after)
        readout = empty_readout(program, shots)
        if records and shots:
            rng = np.random.default_rng(seed)
            sampler = circuit.compile_sampler(seed=int(rng.integers(2**63)))
            bits = sampler.sample(shots).astype(np.int64)
            for i, (q, ref) in enumerate(records):
                column = bits[:, i]
                if noise is not None:
                    p10, p01 = noise.readout_error(q)
                    if p10 or p01:
                        column = column ^ (rng.random(shots) < np.where(column == 1, p01, p10))
                if ref is not None and ref[0] in readout:
                    readout[ref[0]][:, ref[1]] = column  # a later MEASURE into the same bit wins
        mem = {k: v.copy() for k, v in memory.items()}
        for name in readout:
            mem[name][:] = readout[name][-1] if shots else 0
        return EngineResult(readout, mem)

    @staticmethod
    def _channels(circuit: StimCircuit, channels: Channels) -> None:
        for ch in channels:
            if isinstance(ch, Depolarizing) and ch.param > 0:
                # stim's DEPOLARIZE(p) draws one of the 3 (or 15) non-identity Paulis with p.
                d2 = 4 ** len(ch.qubits)
                name = "DEPOLARIZE1" if len(ch.qubits) == 1 else "DEPOLARIZE2"
                circuit.append(name, list(ch.qubits), ch.param * (d2 - 1) / d2)
            elif isinstance(ch, Pauli) and (ch.px or ch.py or ch.pz):
                circuit.append("PAULI_CHANNEL_1", [ch.qubit], [ch.px, ch.py, ch.pz])
