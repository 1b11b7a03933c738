"""The characterization experiments that define a calibration's figures, written as a user
writes them (native Quil), with their fits: readout (fRO), 1-qubit Clifford RB (fRB, alone or
with neighbours driven), interleaved 2-qubit RB (fCZ), inversion recovery (T1) and Ramsey (T2*).

``run(quil, shots) -> readout["ro"]`` is any executor: ``simulate.run_program`` bound to an
ISA, or a pyquil QuantumComputer. The realism benchmark and the realism tests use these.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from openqcs.simulator import gates

Runner = Callable[[str, int], np.ndarray]  # (quil, shots) -> readout array (shots, n)
_RZ, _RX = gates.STANDARD["RZ"][2], gates.STANDARD["RX"][2]
_STEPS = (math.pi / 2, -math.pi / 2, math.pi)


def _key(u: np.ndarray) -> tuple[float, ...]:
    """A matrix up to global phase, rounded: equal keys, equal gates."""
    flat = u.reshape(-1)
    lead = flat[np.argmax(np.abs(flat) > 1e-6)]
    v = flat * (abs(lead) / lead)
    return tuple(np.round(v.real, 6)) + tuple(np.round(v.imag, 6))


def clifford_table() -> list[tuple[list[tuple[str, float]], np.ndarray]]:
    """The 24 one-qubit Cliffords, each in its shortest native form: the four Z rotations with
    no pulse, the others as RZ·RX·RZ with one pulse (what a compiler writes)."""
    found: dict[tuple[float, ...], tuple[list[tuple[str, float]], np.ndarray]] = {}
    for k in range(4):
        found.setdefault(_key(_RZ(k * math.pi / 2)), ([("RZ", k * math.pi / 2)], _RZ(k * math.pi / 2)))
    for a in range(4):
        for step in _STEPS:
            for b in range(4):
                u = _RZ(b * math.pi / 2) @ _RX(step) @ _RZ(a * math.pi / 2)
                found.setdefault(_key(u), ([("RZ", a * math.pi / 2), ("RX", step), ("RZ", b * math.pi / 2)], u))
    table = list(found.values())
    assert len(table) == 24
    return table


CLIFFORDS = clifford_table()
_INDEX = {_key(u): i for i, (_, u) in enumerate(CLIFFORDS)}


def _quil(ops: list[tuple[str, float]], q: int) -> list[str]:
    return [f"{name}({angle!r}) {q}" for name, angle in ops if not (name == "RZ" and angle == 0)]


_FLIP = _RX(math.pi)


def rb_sequence(q: int, length: int, rng: np.random.Generator, end_in_one: bool = False) -> list[str]:
    """``length`` random Cliffords on qubit ``q`` and the one that returns it to |0> (or |1>)."""
    lines, net = [], np.eye(2, dtype=complex)
    for i in rng.integers(24, size=length):
        ops, u = CLIFFORDS[i]
        lines += _quil(ops, q)
        net = u @ net
    last = net.conj().T if not end_in_one else _FLIP @ net.conj().T
    return lines + _quil(CLIFFORDS[_INDEX[_key(last)]][0], q)


def fit_decay(x: Sequence[float], y: Sequence[float], offset: float | None = None) -> tuple[float, float, float]:
    """(A, p, B) of y = A p^x + B, least squares (a grid over p, then A and B linear); with
    ``offset``, B is fixed to it."""
    xs, ys = np.asarray(x, float), np.asarray(y, float)

    def fit(p: float) -> tuple[float, float, float, float]:
        design = np.stack([p**xs, np.ones_like(xs)], axis=1)
        if offset is None:
            coef = np.linalg.lstsq(design, ys, rcond=None)[0]
        else:
            coef = np.array([np.linalg.lstsq(design[:, :1], ys - offset, rcond=None)[0][0], offset])
        return float(np.sum((design @ coef - ys) ** 2)), float(coef[0]), p, float(coef[1])

    coarse = np.concatenate([np.linspace(0.0, 0.99, 991), 1 - np.geomspace(1e-2, 1e-6, 2000)])
    best = min((fit(float(p)) for p in coarse), key=lambda r: r[0])
    step = max(1e-3, 1 - best[2]) * 0.01  # then a fine grid around the best
    fine = np.clip(best[2] + step * np.linspace(-100, 100, 401), 0.0, 1 - 1e-9)
    best = min((fit(float(p)) for p in fine), key=lambda r: r[0])
    return best[1], best[2], best[3]


def rb_lengths(expected_infidelity: float, count: int = 8) -> list[int]:
    """Sequence lengths out to where the signal has decayed to about a tenth."""
    p = max(1 - 2 * max(expected_infidelity, 1e-5), 1e-3)
    longest = max(4, int(math.log(0.1) / math.log(p)))
    return sorted({max(1, round(float(m))) for m in np.geomspace(1, longest, count)})


def randomized_benchmark(run: Runner, qubits: Sequence[int], lengths: Sequence[int], sequences: int,
                         shots: int, seed: int = 0, measured: Sequence[int] | None = None) -> dict[int, float]:
    """1-qubit Clifford RB on ``qubits`` at once (independent sequences, no FENCE): fRB per qubit
    in ``measured`` (default: all). Half the sequences end in |1>, so relaxation's pull to |0>
    and readout asymmetry cancel and the survival decays to exactly 1/2."""
    rng = np.random.default_rng(seed)
    measured = list(qubits if measured is None else measured)
    survival: dict[int, list[float]] = {q: [] for q in measured}
    for m in lengths:
        hits = {q: 0.0 for q in measured}
        for s in range(sequences):
            one = s % 2 == 1
            body = [line for q in qubits for line in rb_sequence(q, m, rng, one)]
            ro = run(_program(body, measured), shots)
            for i, q in enumerate(measured):
                hits[q] += float((ro[:, i] == int(one)).mean())
        for q in measured:
            survival[q].append(hits[q] / sequences)
    out = {}
    for q in measured:
        _, p, _ = fit_decay(lengths, survival[q], offset=0.5)
        out[q] = 1 - (1 - p) / 2
    return out


def _program(body: list[str], measured: Sequence[int]) -> str:
    lines = [f"DECLARE ro BIT[{len(measured)}]", *body]
    lines += [f"MEASURE {q} ro[{i}]" for i, q in enumerate(measured)]
    return "\n".join(lines) + "\n"


def readout_fidelity(run: Runner, qubits: Sequence[int], shots: int) -> dict[int, float]:
    """QCS's fRO: 1 - (P(1 | prepared 0) + P(0 | prepared with RX(pi))) / 2."""
    zeros = run(_program([], qubits), shots)
    ones = run(_program([f"RX(pi) {q}" for q in qubits], qubits), shots)
    return {q: 1 - (zeros[:, i].mean() + 1 - ones[:, i].mean()) / 2 for i, q in enumerate(qubits)}


def t1(run: Runner, qubit: int, delays: Sequence[float], shots: int) -> float:
    """Inversion recovery: RX(pi), DELAY t, MEASURE; P(1) = A exp(-t/T1) + B."""
    ys = [run(_program([f"RX(pi) {qubit}", f"DELAY {qubit} {float(t)!r}"], [qubit]), shots)[:, 0].mean()
          for t in delays]
    return _time_constant(delays, ys)


def t2_ramsey(run: Runner, qubit: int, delays: Sequence[float], shots: int) -> float:
    """Ramsey on resonance: RX(pi/2), DELAY t, RX(-pi/2); P(0) = A exp(-t/T2*) + B."""
    ys = [1 - run(_program([f"RX(pi/2) {qubit}", f"DELAY {qubit} {float(t)!r}", f"RX(-pi/2) {qubit}"], [qubit]),
                  shots)[:, 0].mean() for t in delays]
    return _time_constant(delays, ys)


def _time_constant(delays: Sequence[float], ys: Sequence[float]) -> float:
    unit = max(delays) / 10
    _, p, _ = fit_decay([t / unit for t in delays], ys)
    return -unit / math.log(p) if 0 < p < 1 else math.inf


# --- two-qubit interleaved RB ----------------------------------------------------------------


def _native_2q(circuit: Any, a: int, b: int) -> list[str]:  # a stim.Circuit (stim is untyped)
    """A stim circuit on qubits 0, 1 (H, S, CX, ...) in native gates on ``a``, ``b``: runs of
    1-qubit gates merged into one Clifford each (what a compiler does), CX as H·CZ·H."""
    import stim

    sites = (a, b)
    pending = [np.eye(2, dtype=complex), np.eye(2, dtype=complex)]
    lines: list[str] = []

    def flush(i: int) -> None:
        ops = CLIFFORDS[_INDEX[_key(pending[i])]][0]
        lines.extend(_quil(ops, sites[i]))
        pending[i] = np.eye(2, dtype=complex)

    hadamard = stim.Tableau.from_named_gate("H").to_unitary_matrix(endian="big")
    for ins in circuit:
        targets = [t.value for t in ins.targets_copy()]
        if ins.name in ("CX", "CZ", "SWAP"):
            for c, t in zip(targets[::2], targets[1::2], strict=True):
                if ins.name == "SWAP":
                    for y in (t, c, t):  # SWAP as three CNOTs, each on target y
                        pending[y] = hadamard @ pending[y]
                        flush(0)
                        flush(1)
                        lines.append(f"CZ {a} {b}")
                        pending[y] = hadamard @ pending[y]
                    continue
                if ins.name == "CX":
                    pending[t] = hadamard @ pending[t]
                flush(0)
                flush(1)
                lines.append(f"CZ {a} {b}")
                if ins.name == "CX":
                    pending[t] = hadamard @ pending[t]
        else:
            u = stim.Tableau.from_named_gate(ins.name).to_unitary_matrix(endian="big")
            for t in targets:
                pending[t] = u @ pending[t]
    flush(0)
    flush(1)
    return lines


def interleaved_rb(run: Runner, a: int, b: int, lengths: Sequence[int], sequences: int, shots: int,
                   seed: int = 0) -> tuple[float, float, float]:
    """2-qubit Clifford RB on edge a-b, plain and with CZ after every Clifford:
    (reference decay, interleaved decay, CZ fidelity = 1 - 3/4 (1 - p_int / p_ref)). Each
    sequence ends in a random basis state, so the survival decays to exactly 1/4."""
    import stim

    rng = np.random.default_rng(seed)
    cz = stim.Tableau.from_named_gate("CZ")
    decays = []
    for interleave in (False, True):
        survival = []
        for m in lengths:
            hits = 0.0
            for _ in range(sequences):
                net = stim.Tableau(2)
                body: list[str] = []
                for _ in range(m):
                    t = stim.Tableau.random(2)
                    body += _native_2q(t.to_circuit("elimination"), a, b)
                    net = net.then(t)
                    if interleave:
                        body.append(f"CZ {a} {b}")
                        net = net.then(cz)
                target = [int(x) for x in rng.integers(2, size=2)]
                last = net.inverse().to_circuit("elimination")
                for i, bit in enumerate(target):
                    if bit:
                        last.append("X", [i])
                body += _native_2q(last, a, b)
                ro = run(_program(body, [a, b]), shots)
                hits += float(((ro[:, 0] == target[0]) & (ro[:, 1] == target[1])).mean())
            survival.append(hits / sequences)
        decays.append(fit_decay(lengths, survival, offset=0.25)[1])
    p_ref, p_int = decays
    return p_ref, p_int, 1 - 0.75 * (1 - p_int / p_ref)
