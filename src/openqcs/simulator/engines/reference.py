"""A plain numpy state-vector interpreter: one trajectory per shot, with classical control and
noise as sampled channels. It is the per-shot path for programs with JUMPs or classical
instructions, and the test oracle for the other engines."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from openqcs.errors import InvalidArgument
from openqcs.simulator.engine import Capabilities, EngineResult, Readout, empty_readout
from openqcs.simulator.ir import ClassicalOp, GateOp, HaltOp, JumpOp, MeasureOp, Memory, ParsedProgram, ResetOp
from openqcs.simulator.noise import Channel, Depolarizing, Kraus, Noise, Pauli, Thermal, thermal_kraus_params
from openqcs.simulator.quil_expr import ExpressionError

KrausCache = dict[Thermal, list[np.ndarray]]

_PAULIS = [np.eye(2, dtype=complex), np.array([[0, 1], [1, 0]], dtype=complex),
           np.array([[0, -1j], [1j, 0]], dtype=complex), np.diag([1, -1]).astype(complex)]
_X = _PAULIS[1]
MAX_STEPS = 1_000_000  # per shot: a JUMP loop that never ends is the user's error
# Per-shot work (shots x 2^qubits x instructions) beyond which a run would hold a worker for minutes.
PER_SHOT_BUDGET = 5e9


def apply(state: np.ndarray, matrix: np.ndarray, qubits: tuple[int, ...]) -> np.ndarray:
    """Apply ``matrix`` (Quil order: qubits[0] most significant) to axes ``qubits`` of ``state``."""
    k = len(qubits)
    u = matrix.reshape((2,) * (2 * k))
    out = np.tensordot(u, state, axes=(list(range(k, 2 * k)), list(qubits)))
    return np.moveaxis(out, list(range(k)), list(qubits))


def _prob_one(state: np.ndarray, q: int) -> float:
    sub = np.take(state, 1, axis=q)
    return float(np.vdot(sub, sub).real)


def _collapse(state: np.ndarray, q: int, bit: int, prob: float) -> np.ndarray:
    idx: list[slice | int] = [slice(None)] * state.ndim
    idx[q] = 1 - bit
    state = state.copy()
    state[tuple(idx)] = 0
    return state / math.sqrt(max(prob, 1e-300))


def _measure(state: np.ndarray, q: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    p1 = min(max(_prob_one(state, q), 0.0), 1.0)
    bit = int(rng.random() < p1)
    return _collapse(state, q, bit, p1 if bit else 1 - p1), bit


def _thermal_kraus(ch: Thermal) -> list[np.ndarray]:
    gamma, lam = thermal_kraus_params(ch.t1, ch.t2, ch.time)
    ad = [np.array([[1, 0], [0, math.sqrt(1 - gamma)]]), np.array([[0, math.sqrt(gamma)], [0, 0]])]
    pd = [np.array([[1, 0], [0, math.sqrt(1 - lam)]]), np.array([[0, 0], [0, math.sqrt(lam)]])]
    return [(p @ a).astype(complex) for a in ad for p in pd]


class ReferenceEngine:
    name = "reference"
    capabilities = Capabilities(control_flow=True, kraus=True)

    def run(self, program: ParsedProgram, memory: Memory, shots: int, noise: Noise | None,
            seed: int | None) -> EngineResult:
        rng = np.random.default_rng(seed)
        n = len(program.qubits)
        readout = empty_readout(program, shots)
        if program.sampleable and noise is None:
            return self._sample_once(program, memory, shots, rng, readout)
        cost = shots * 2**n * max(1, len(program.ops))
        if cost > PER_SHOT_BUDGET:
            raise InvalidArgument(
                f"this program needs one simulation per shot ({'classical control' if program.has_control else 'noise'}"
                f" on {n} qubits) and {shots} shots would take too long; use fewer shots or qubits")
        kraus_cache: KrausCache = {}
        last = memory
        for shot in range(shots):
            _, mem = self.trajectory(program, memory, noise, rng, kraus_cache)
            for name in readout:
                readout[name][shot] = mem[name]
            last = mem
        return EngineResult(readout, last)

    def trajectory(self, program: ParsedProgram, memory: Memory, noise: Noise | None, rng: np.random.Generator,
                   kraus_cache: KrausCache | None = None) -> tuple[np.ndarray, Memory]:
        """One run of the program: (final state, axis i = dense qubit i; memory after it)."""
        kraus_cache = {} if kraus_cache is None else kraus_cache
        n = len(program.qubits)
        mem = {k: v.copy() for k, v in memory.items()}
        state = np.zeros((2,) * n, dtype=complex)
        state[(0,) * n] = 1
        pc, steps, ops = 0, 0, program.ops
        while pc < len(ops):
            steps += 1
            if steps > MAX_STEPS:
                raise InvalidArgument(f"the program did not halt within {MAX_STEPS} instructions per shot")
            op = ops[pc]
            pc += 1
            before, after = noise.around(op) if noise is not None else ((), ())
            for ch in before:
                state = self._channel(state, ch, rng, kraus_cache)
            if isinstance(op, GateOp):
                kraus = noise.gate_kraus(op.name, op.qubits) if noise is not None else None
                if kraus is not None:  # the Kraus map stands for the gate itself
                    state = self._channel(state, kraus, rng, kraus_cache)
                else:
                    state = apply(state, program.gate_matrix(op, mem), op.qubits)
            elif isinstance(op, MeasureOp):
                state, bit = _measure(state, op.qubit, rng)
                if noise is not None and rng.random() < noise.readout_error(op.qubit)[bit]:
                    bit ^= 1
                if op.ref is not None:
                    mem[op.ref[0]][op.ref[1]] = bit
            elif isinstance(op, ResetOp):
                for q in op.qubits:
                    state, bit = _measure(state, q, rng)
                    # Active reset: a qubit found in |1> gets a pi pulse, which fails with 1 - fAR.
                    stays = bit == 1 and noise is not None and rng.random() < noise.reset_fail[q]
                    if bit == 1 and not stays:
                        state = apply(state, _X, (q,))
            for ch in after:
                state = self._channel(state, ch, rng, kraus_cache)
            if isinstance(op, JumpOp):
                if op.cond is None or (mem[op.cond[0]][op.cond[1]] != 0) == op.when:
                    pc = op.target
            elif isinstance(op, ClassicalOp):
                try:
                    op.apply(mem)
                except ExpressionError as exc:
                    raise program.error(op.text, str(exc)) from None
            elif isinstance(op, HaltOp):
                break
        return state, mem

    def _channel(self, state: np.ndarray, ch: Channel, rng: np.random.Generator, cache: KrausCache) -> np.ndarray:
        if isinstance(ch, Depolarizing):
            if rng.random() < ch.param:
                for q in ch.qubits:
                    state = apply(state, _PAULIS[rng.integers(4)], (q,))
            return state
        if isinstance(ch, Pauli):
            r = rng.random()
            for pauli, p in zip(_PAULIS[1:], (ch.px, ch.py, ch.pz), strict=True):
                if r < p:
                    return apply(state, pauli, (ch.qubit,))
                r -= p
            return state
        ops: Sequence[np.ndarray]
        if isinstance(ch, Kraus):
            ops, qubits = ch.ops, ch.qubits
        else:
            found = cache.get(ch)
            if found is None:
                found = cache[ch] = _thermal_kraus(ch)
            ops, qubits = found, (ch.qubit,)
        r, acc = rng.random(), 0.0
        for k in ops:
            cand = apply(state, k, qubits)
            p = float(np.vdot(cand, cand).real)
            acc += p
            if r < acc or k is ops[-1]:
                return cand / math.sqrt(max(p, 1e-300))
        return state

    def _sample_once(self, program: ParsedProgram, memory: Memory, shots: int, rng: np.random.Generator,
                     readout: Readout) -> EngineResult:
        n = len(program.qubits)
        state = np.zeros((2,) * n, dtype=complex)
        state[(0,) * n] = 1
        targets: list[tuple[int, tuple[str, int] | None]] = []
        for op in program.ops:
            if isinstance(op, GateOp):
                state = apply(state, program.gate_matrix(op, memory), op.qubits)
            elif isinstance(op, MeasureOp):
                targets.append((op.qubit, op.ref))
        probs = np.abs(state.reshape(-1)) ** 2
        probs /= probs.sum()
        outcomes = rng.choice(probs.size, size=shots, p=probs)
        for q, ref in targets:
            if ref is not None:
                bits = (outcomes >> (n - 1 - q)) & 1
                readout[ref[0]][:, ref[1]] = bits
        mem = {k: v.copy() for k, v in memory.items()}
        for name in readout:
            mem[name][:] = readout[name][-1] if shots else 0
        return EngineResult(readout, mem)
