"""Realism: experiments a user would run on the processor recover its calibration.

- Readout: prepare |0> and |1> on several qubits; 1 - mean assignment error recovers fRO
  within 0.01.
- Simultaneous single-qubit randomized benchmarking on three qubits (random RX(±π/2)/RX(π)
  with random virtual RZ frames, then one inverting gate; half the sequences end in |1> so
  relaxation's pull towards |0> cancels): the fitted error per gate recovers 1 - fRB within 20%.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from openqcs.simulator import gates
from openqcs.simulator.device import device_from_isa
from openqcs.simulator.simulate import run_program
from tests.simulator.test_engine import ISA

DEVICE = device_from_isa(ISA)


def test_readout_experiment_recovers_fro():
    qubits = [0, 2, 10, 21, 100]
    declare = f"DECLARE ro BIT[{len(qubits)}]\n"
    measure = "".join(f"MEASURE {q} ro[{i}]\n" for i, q in enumerate(qubits))
    flips = "".join(f"RX(pi) {q}\n" for q in qubits)
    shots = 20000
    zeros = run_program(declare + measure, ISA, shots, {}, seed=21).readout["ro"]
    ones = run_program(declare + flips + measure, ISA, shots, {}, seed=22).readout["ro"]
    for i, q in enumerate(qubits):
        error0 = zeros[:, i].mean()
        error1 = 1 - ones[:, i].mean()
        assert 1 - (error0 + error1) / 2 == pytest.approx(DEVICE.f_ro[q], abs=0.01), q


def _zyz(u: np.ndarray) -> tuple[float, float, float]:
    """Angles (a, b, c) with u ∝ RZ(a) RY(b) RZ(c)."""
    v = u / np.sqrt(np.linalg.det(u))
    b = 2 * math.atan2(abs(v[1, 0]), abs(v[0, 0]))
    plus = 2 * np.angle(v[1, 1]) if abs(v[1, 1]) > 1e-9 else 0.0
    minus = 2 * np.angle(v[1, 0]) if abs(v[1, 0]) > 1e-9 else 0.0
    a, c = float(plus + minus) / 2, float(plus - minus) / 2
    rebuilt = gates.STANDARD["RZ"][2](a) @ gates.STANDARD["RY"][2](b) @ gates.STANDARD["RZ"][2](c)
    overlap = abs(np.trace(rebuilt.conj().T @ u)) / 2
    assert overlap == pytest.approx(1, abs=1e-9)
    return a, b, c


def _sequence(q: int, length: int, end_in_one: bool, rng) -> str:
    lines, net = [], np.eye(2, dtype=complex)
    for _ in range(length):
        frame = int(rng.integers(4)) * math.pi / 2
        angle = [math.pi / 2, -math.pi / 2, math.pi][rng.integers(3)]
        lines += [f"RZ({frame!r}) {q}", f"RX({angle!r}) {q}"]
        net = gates.STANDARD["RX"][2](angle) @ gates.STANDARD["RZ"][2](frame) @ net
    final = net.conj().T
    if end_in_one:
        final = gates.STANDARD["X"][2]() @ final
    a, b, c = _zyz(final)
    lines += [f"RZ({c!r}) {q}", f"RY({b!r}) {q}", f"RZ({a!r}) {q}"]
    return "\n".join(lines) + "\n"


def test_randomized_benchmarking_recovers_frb():
    qubits = [0, 1, 110]
    rng = np.random.default_rng(2024)
    # Lengths per qubit so the signal decays to about a quarter at the longest.
    longest = {q: max(8, int(math.log(4) / (2 * (1 - DEVICE.f_rb[q])))) for q in qubits}
    fractions = [0.0, 1 / 3, 2 / 3, 1.0]
    per_sequence, shots = 4, 4000
    survival = {q: [] for q in qubits}
    for fi, fraction in enumerate(fractions):
        hits = {q: 0.0 for q in qubits}
        for s in range(per_sequence):
            end_in_one = s % 2 == 1
            quil = f"DECLARE ro BIT[{len(qubits)}]\n"
            for q in qubits:
                quil += _sequence(q, max(1, round(fraction * longest[q])), end_in_one, rng)
            quil += "".join(f"MEASURE {q} ro[{i}]\n" for i, q in enumerate(qubits))
            ro = run_program(quil, ISA, shots, {}, seed=100 * fi + s).readout["ro"]
            for i, q in enumerate(qubits):
                hits[q] += (ro[:, i] == int(end_in_one)).mean()
        for q in qubits:
            survival[q].append(hits[q] / per_sequence)
    for q in qubits:
        # Each sequence has m random gates plus one inverting gate, all noisy.
        m = np.array([max(1, round(f * longest[q])) + 1 for f in fractions], dtype=float)
        y = np.log(np.array(survival[q]) - 0.5)
        slope = np.polyfit(m, y, 1)[0]
        error_per_gate = (1 - math.exp(slope)) / 2
        want = 1 - DEVICE.f_rb[q]
        assert error_per_gate == pytest.approx(want, rel=0.2), (q, error_per_gate, want)
