"""qiskit-aer engine. Programs with classical control go to the per-shot reference interpreter.

Qiskit orders qubits little-endian: a UnitaryGate's first qubit is the least significant bit of
its matrix index, while Quil's first operand is the most significant; operands are reversed.
Noise channels are appended to the circuit after each gate; readout error is aer's, per qubit.
Paths: noiseless -> one state vector, shots sampled from it when the program allows; noisy and
at most DENSITY_MATRIX_MAX_QUBITS -> exact density matrix; wider -> trajectories, or sampled noise
realizations when one trajectory per shot would cost too much.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable, Iterable
from functools import partial
from typing import Any

import numpy as np
from cachetools import LRUCache

from openqcs.simulator.engine import Capabilities, Engine, EngineResult, Readout, empty_readout
from openqcs.simulator.ir import DelayOp, FenceOp, GateOp, MeasureOp, Memory, ParsedProgram, ResetOp
from openqcs.simulator.noise import Channel, Channels, Depolarizing, Kraus, Noise, Pauli, Thermal, pauli_twirl

DENSITY_MATRIX_MAX_QUBITS = 10
# Wide noisy programs: up to this many amplitude updates (shots x 2^n x instructions) run one
# exact trajectory per shot; beyond it, shots are drawn from MIN..MAX noise realizations (each
# one a circuit built in Python, hence the cap).
TRAJECTORY_BUDGET = 4e9
MIN_REALIZATIONS = 16
MAX_REALIZATIONS = 64
_PAULI_GATES = (None, "x", "y", "z")
ERRORS_KEPT = 10_000  # aer error objects by channel parameters, per process
Circuit = Any  # a qiskit QuantumCircuit (qiskit is untyped)


def _append_sampled(qc: Circuit, ch: Channel, rng: np.random.Generator) -> None:
    if isinstance(ch, Depolarizing):
        if rng.random() < ch.param:
            for q in ch.qubits:
                gate = _PAULI_GATES[rng.integers(4)]
                if gate:
                    getattr(qc, gate)(q)
        return
    if isinstance(ch, Pauli):
        r = rng.random()
        for gate, p in (("x", ch.px), ("y", ch.py), ("z", ch.pz)):
            if r < p:
                getattr(qc, gate)(ch.qubit)
                return
            r -= p
        return
    if isinstance(ch, Kraus):
        raise ValueError("Kraus maps cannot be drawn as Pauli realizations")
    px, pz = pauli_twirl(ch)
    r = rng.random()
    if r < 2 * px:
        getattr(qc, "x" if r < px else "y")(ch.qubit)
    elif r < 2 * px + pz:
        qc.z(ch.qubit)


class AerEngine:
    name = "aer"
    capabilities = Capabilities(control_flow=True, kraus=True, exact_noise=True)

    def __init__(self) -> None:
        # Imported once per process, on first use.
        from qiskit import QuantumCircuit
        from qiskit.circuit.library import UnitaryGate
        from qiskit_aer import AerSimulator
        from qiskit_aer.noise import (
            NoiseModel,
            ReadoutError,
            depolarizing_error,
            kraus_error,
            pauli_error,
            thermal_relaxation_error,
        )

        self._qc, self._unitary, self._sim = QuantumCircuit, UnitaryGate, AerSimulator
        self._noise_model, self._readout_error = NoiseModel, ReadoutError
        self._depol, self._thermal, self._pauli = depolarizing_error, thermal_relaxation_error, pauli_error
        self._kraus = kraus_error
        # The QVM's threads share this engine, so its cache of aer error objects has a lock.
        self._errors: LRUCache[Hashable, Any] = LRUCache(maxsize=ERRORS_KEPT)
        self._errors_lock = threading.Lock()
        self._reference: Engine | None = None

    def run(self, program: ParsedProgram, memory: Memory, shots: int, noise: Noise | None,
            seed: int | None) -> EngineResult:
        if program.has_control:
            if self._reference is None:
                from openqcs.simulator.engines.reference import ReferenceEngine

                self._reference = ReferenceEngine()
            return self._reference.run(program, memory, shots, noise, seed)
        readout = empty_readout(program, shots)
        n = len(program.qubits)
        # Kraus maps cannot be drawn as Pauli realizations: they keep to trajectories.
        if noise is not None and program.sampleable and n > DENSITY_MATRIX_MAX_QUBITS and not noise.has_kraus:
            per_shot = 2**n * max(1, len(program.ops))
            if shots * per_shot > TRAJECTORY_BUDGET:
                count = int(min(MAX_REALIZATIONS, max(MIN_REALIZATIONS, TRAJECTORY_BUDGET // per_shot)))
                if count < shots:
                    return self._run_realizations(program, memory, shots, noise, seed, count, readout)
        circuit, clbits = self.circuit(program, memory, noise)
        if not clbits or shots == 0:
            return EngineResult(readout, memory)
        if noise is not None and program.sampleable and n <= DENSITY_MATRIX_MAX_QUBITS:
            method = "density_matrix"  # exact, so every shot comes from one final state
        else:
            method = "statevector"  # aer samples once when it can, else runs trajectories
        result = self._simulate([circuit], method, shots, program, noise, seed)
        return self._decode(result, clbits, shots, readout, memory, None)

    def final_state(self, program: ParsedProgram, memory: Memory, noise: Noise | None,
                    seed: int | None) -> np.ndarray:
        """The state after one run (noise and measurements drawn once), amplitude index bit k =
        dense qubit k. Programs with classical control need the reference interpreter."""
        circuit, _ = self.circuit(program, memory, noise)
        circuit.save_statevector()
        result = self._sim(method="statevector", **_options(seed)).run(circuit, shots=1).result()
        if not result.success:
            raise RuntimeError(f"simulation failed: {result.status}")
        return np.asarray(result.get_statevector(), dtype=complex)

    def _run_realizations(self, program: ParsedProgram, memory: Memory, shots: int, noise: Noise, seed: int | None,
                          count: int, readout: Readout) -> EngineResult:
        """Too wide for a density matrix and too costly for one trajectory per shot: draw
        ``count`` noise realizations (Pauli errors; relaxation by its Pauli twirl) and sample
        each noiseless circuit for its share of the shots."""
        rng = np.random.default_rng(seed)
        circuits: list[Circuit] = []
        clbits: dict[tuple[str, int], int] = {}
        for _ in range(count):
            circuit, clbits = self.circuit(program, memory, noise, sampler=rng)
            circuits.append(circuit)
        if not clbits:
            return EngineResult(readout, memory)
        per = -(-shots // count)
        result = self._simulate(circuits, "statevector", per, program, noise, seed)
        return self._decode(result, clbits, shots, readout, memory, rng)

    def _simulate(self, circuits: list[Circuit], method: str, shots: int, program: ParsedProgram,
                  noise: Noise | None, seed: int | None) -> Any:
        sim = self._sim(method=method, noise_model=self._readout_model(program, noise), **_options(seed))
        result = sim.run(circuits, shots=shots, memory=True).result()
        if not result.success:
            raise RuntimeError(f"simulation failed: {result.status}")
        return result

    @staticmethod
    def _decode(result: Any, clbits: dict[tuple[str, int], int], shots: int, readout: Readout, memory: Memory,
                rng: np.random.Generator | None) -> EngineResult:
        # Raw hex memory is several times faster to decode than get_memory()'s bit strings.
        hexes = [h for experiment in result.results for h in experiment.data.memory]
        values = np.fromiter((int(h, 16) for h in hexes), dtype=np.int64, count=len(hexes))
        if rng is not None:  # realizations: mix their shots, keep the number asked for
            values = rng.permutation(values)[:shots]
        bits = (values[:, None] >> np.arange(len(clbits), dtype=np.int64)) & 1
        for ref, index in clbits.items():
            readout[ref[0]][:, ref[1]] = bits[:, index]
        mem = {k: v.copy() for k, v in memory.items()}
        for name in readout:
            mem[name][:] = readout[name][-1]
        return EngineResult(readout, mem)

    def circuit(self, program: ParsedProgram, memory: Memory, noise: Noise | None,
                sampler: np.random.Generator | None = None) -> tuple[Circuit, dict[tuple[str, int], int]]:
        """The Aer circuit and the clbit of each measured memory reference (last clbit: scratch).
        With ``sampler`` (a numpy Generator), gate noise is drawn as Pauli gates instead."""
        refs: dict[tuple[str, int], int] = {}
        for op in program.ops:
            if isinstance(op, MeasureOp) and op.ref is not None and op.ref[0] in program.readout:
                refs.setdefault(op.ref, len(refs))
        n = max(len(program.qubits), 1)
        qc = self._qc(n, len(refs) + 1)
        scratch = len(refs)
        unitary = self._unitary
        # Without noise, runs of 1-qubit gates on a qubit become one matrix (fewer instructions).
        pending: dict[int, np.ndarray] = {}

        def flush(qubits: Iterable[int]) -> None:
            for q in qubits:
                m = pending.pop(q, None)
                if m is not None:
                    qc.append(unitary(m, check_input=False), [q])

        def channels(chs: Channels) -> None:
            for ch in chs:
                if sampler is None:
                    self._append_channel(qc, ch)
                else:
                    _append_sampled(qc, ch, sampler)

        for op in program.ops:
            before, after = noise.around(op) if noise is not None else ((), ())
            if isinstance(op, GateOp):
                matrix = program.gate_matrix(op, memory)
                if noise is None and len(op.qubits) == 1:
                    q = op.qubits[0]
                    pending[q] = matrix @ pending[q] if q in pending else matrix
                    continue
                flush(op.qubits)
                channels(before)
                kraus = noise.gate_kraus(op.name, op.qubits) if noise is not None else None
                if kraus is not None:  # the Kraus map stands for the gate itself
                    self._append_channel(qc, kraus)
                else:
                    qc.append(unitary(matrix, check_input=False), list(reversed(op.qubits)))
                channels(after)
            elif isinstance(op, MeasureOp):
                flush((op.qubit,))
                channels(before)
                qc.measure(op.qubit, refs.get(op.ref, scratch) if op.ref else scratch)
                channels(after)
            elif isinstance(op, ResetOp):
                flush(op.qubits)
                channels(before)
                for q in op.qubits:
                    fail = noise.reset_fail[q] if noise is not None else 0.0
                    if fail > 0:
                        qc.append(self._error(("reset", fail), partial(self._reset_error, fail)), [q])
                    else:
                        qc.reset(q)
                channels(after)
            elif isinstance(op, (DelayOp, FenceOp)) and (before or after):
                flush(op.qubits)
                channels(before)
                channels(after)
        flush(list(pending))
        return qc, refs

    def _append_channel(self, qc: Circuit, ch: Channel) -> None:
        # qiskit's first qubit is the least significant: reversed operands keep Quil's order.
        if isinstance(ch, Depolarizing):
            n = len(ch.qubits)
            err = self._error(("depol", ch.param, n), lambda: self._depol(ch.param, n))
            qc.append(err, list(reversed(ch.qubits)))
        elif isinstance(ch, Thermal):
            qc.append(self._error(("thermal", ch.t1, ch.t2, ch.time), lambda: self._thermal(ch.t1, ch.t2, ch.time)),
                      [ch.qubit])
        elif isinstance(ch, Pauli):
            qc.append(self._error(("pauli", ch.px, ch.py, ch.pz), lambda: self._pauli_error(ch)), [ch.qubit])
        else:
            qc.append(self._error(("kraus", ch.key), lambda: self._kraus(list(ch.ops))), list(reversed(ch.qubits)))

    def _error(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The aer error object for a channel's parameters, made once per process."""
        with self._errors_lock:
            err = self._errors.get(key)
        if err is None:
            err = make()
            with self._errors_lock:
                self._errors[key] = err
        return err

    def _pauli_error(self, ch: Pauli) -> Any:
        terms = [(name, p) for name, p in (("X", ch.px), ("Y", ch.py), ("Z", ch.pz), ("I", 1 - ch.px - ch.py - ch.pz))
                 if p > 0]
        return self._pauli(terms)

    def _reset_error(self, fail: float) -> Any:
        """Active reset: |1> returns to |0> except with probability ``fail``."""
        return self._kraus([np.diag([1.0, 0.0]).astype(complex),
                            np.array([[0, math.sqrt(1 - fail)], [0, 0]], dtype=complex),
                            np.diag([0.0, math.sqrt(fail)]).astype(complex)])

    def _readout_model(self, program: ParsedProgram, noise: Noise | None) -> Any:
        if noise is None:
            return None
        errors = [noise.readout_error(q) for q in range(len(program.qubits))]
        if not any(p10 or p01 for p10, p01 in errors):
            return None
        model = self._noise_model()
        for q, (p10, p01) in enumerate(errors):
            if p10 or p01:  # rows: the qubit's state; columns: the recorded bit
                model.add_readout_error(self._readout_error([[1 - p10, p10], [p01, 1 - p01]]), [q])
        return model


def _options(seed: int | None) -> dict[str, int]:
    options = {"max_parallel_threads": 1}
    if seed is not None:
        options["seed_simulator"] = int(seed) % (2**63)
    return options
