"""run_program on Aspen-M-3's ISA: correlations, parameters, classical control, seeds, noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openqcs.errors import InvalidArgument
from openqcs.simulator import simulate
from openqcs.simulator.device import device_from_isa
from openqcs.simulator.noise import depolarizing_param
from tests.simulator.data import ISA


def run_program(*args, **kwargs):
    """Engine tests use any Quil gate: the ISA's native set is tested in test_native.py."""
    return simulate.run_program(*args, enforce_isa=False, **kwargs)

BELL = "DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
NATIVE_BELL = """DECLARE ro BIT[2]
RZ(pi/2) 0
RX(pi/2) 0
RZ(pi/2) 0
RZ(pi/2) 1
RX(pi/2) 1
RZ(pi/2) 1
CZ 0 1
RZ(pi/2) 1
RX(pi/2) 1
RZ(pi/2) 1
MEASURE 0 ro[0]
MEASURE 1 ro[1]
"""


def agreement(ro: np.ndarray) -> float:
    return float((ro[:, 0] == ro[:, 1]).mean())


@pytest.mark.parametrize("engine", ["aer", "reference"])
@pytest.mark.parametrize("program", [BELL, NATIVE_BELL])
def test_bell_on_an_edge_is_correlated_when_noiseless(engine, program):
    result = run_program(program, ISA, 2000, {}, noiseless=True, seed=11, engine=engine)
    ro = result.readout["ro"]
    assert ro.shape == (2000, 2) and ro.dtype == np.int64
    assert agreement(ro) == 1.0
    assert 0.45 < ro[:, 0].mean() < 0.55
    assert result.duration_us > 0


def expected_bell_agreement(a: int, b: int) -> float:
    """From the ISA: 2-qubit depolarizing (fCZ) breaks ZZ parity in half its Paulis; then
    readout flips with 1 - fRO on each qubit."""
    dev = device_from_isa(ISA)
    lam = depolarizing_param(dev.edge_fidelity("CZ", a, b), 2)
    broken = lam / 2
    e0, e1 = 1 - dev.f_ro[a], 1 - dev.f_ro[b]
    same = 1 - e0 - e1 + 2 * e0 * e1
    return (1 - broken) * same + broken * (1 - same)


@pytest.mark.parametrize("a, b", [(0, 1), (10, 11), (110, 111)])
def test_noise_degrades_bell_as_the_calibration_says(a, b):
    quil = f"DECLARE ro BIT[2]\nH {a}\nCNOT {a} {b}\nMEASURE {a} ro[0]\nMEASURE {b} ro[1]\n"
    noisy = run_program(quil, ISA, 8000, {}, seed=3).readout["ro"]
    expected = expected_bell_agreement(a, b)
    assert expected < 0.95  # these edges are noisy enough to tell apart from noiseless
    assert abs(agreement(noisy) - expected) < 0.02


def test_seeds_make_runs_reproducible():
    a = run_program(BELL, ISA, 500, {}, seed=42).readout["ro"]
    b = run_program(BELL, ISA, 500, {}, seed=42).readout["ro"]
    c = run_program(BELL, ISA, 500, {}, seed=43).readout["ro"]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("engine", ["aer", "reference"])
def test_parametric_program_with_two_memory_maps(engine):
    quil = "DECLARE ro BIT[1]\nDECLARE theta REAL[2]\nRX(theta[0] + 2*theta[1]) 0\nMEASURE 0 ro[0]\n"
    zero = run_program(quil, ISA, 300, {"theta": [0.0, 0.0]}, noiseless=True, seed=1, engine=engine)
    flip = run_program(quil, ISA, 300, {"theta": [math.pi / 2, math.pi / 4]}, noiseless=True, seed=1, engine=engine)
    assert zero.readout["ro"].sum() == 0
    assert flip.readout["ro"].sum() == 300
    assert flip.memory == {"theta": [math.pi / 2, math.pi / 4]}


@pytest.mark.parametrize("engine", ["aer", "reference"])
def test_classical_control_flips_the_target_only_when_the_flag_is_set(engine):
    quil = """DECLARE ro BIT[2]
DECLARE flag BIT[1]
H 0
MEASURE 0 flag[0]
JUMP-UNLESS @skip flag[0]
X 1
LABEL @skip
MEASURE 0 ro[0]
MEASURE 1 ro[1]
"""
    ro = run_program(quil, ISA, 400, {}, noiseless=True, seed=5, engine=engine).readout
    assert agreement(ro["ro"]) == 1.0
    assert 0.35 < ro["ro"][:, 0].mean() < 0.65
    assert np.array_equal(ro["flag"][:, 0], ro["ro"][:, 0])


def test_loop_with_classical_arithmetic_counts_iterations():
    quil = """DECLARE ro BIT[1]
DECLARE n INTEGER[1]
DECLARE done BIT[1]
MOVE n[0] 0
LABEL @loop
ADD n[0] 1
X 0
GE done[0] n[0] 3
JUMP-UNLESS @loop done[0]
MEASURE 0 ro[0]
"""
    result = run_program(quil, ISA, 10, {}, noiseless=True, seed=1)
    assert result.readout["ro"][:, 0].tolist() == [1] * 10  # three X gates
    assert result.memory["n"] == [3.0]


@pytest.mark.parametrize("engine", ["aer", "reference"])
def test_reset_and_measuring_twice(engine):
    quil = """DECLARE ro BIT[3]
X 0
MEASURE 0 ro[0]
RESET 0
MEASURE 0 ro[1]
X 0
MEASURE 0 ro[2]
"""
    ro = run_program(quil, ISA, 50, {}, noiseless=True, seed=2, engine=engine).readout["ro"]
    assert ro.tolist() == [[1, 0, 1]] * 50


def test_readout_registers_shapes_and_halt():
    quil = """DECLARE ro BIT[3]
DECLARE counts INTEGER[1]
X 0
MEASURE 0 counts[0]
HALT
X 1
MEASURE 1 ro[1]
"""
    result = run_program(quil, ISA, 7, {}, noiseless=True, seed=1)
    assert result.readout["ro"].shape == (7, 3) and not result.readout["ro"].any()
    assert result.readout["counts"].tolist() == [[1]] * 7


def test_unmeasured_program_and_zero_shots():
    result = run_program("DECLARE ro BIT[2]\nX 0\n", ISA, 5, {}, noiseless=True)
    assert result.readout["ro"].tolist() == [[0, 0]] * 5
    empty = run_program(BELL, ISA, 0, {}, noiseless=True)
    assert empty.readout["ro"].shape == (0, 2)


def test_memory_map_errors():
    quil = "DECLARE ro BIT[1]\nDECLARE theta REAL[1]\nDECLARE k INTEGER[1]\nRX(theta[0]) 0\nMEASURE 0 ro[0]\n"
    with pytest.raises(InvalidArgument, match="memory 'phi' is not declared by the program"):
        run_program(quil, ISA, 1, {"phi": [1.0]})
    with pytest.raises(InvalidArgument, match="2 values for 'theta', declared with length 1"):
        run_program(quil, ISA, 1, {"theta": [1.0, 2.0]})
    with pytest.raises(InvalidArgument, match="k is INTEGER"):
        run_program(quil, ISA, 1, {"k": [1.5]})
    with pytest.raises(InvalidArgument, match="shots"):
        run_program(quil, ISA, -1, {})


def test_noisy_engines_agree():
    """Aer (density matrix) and the reference trajectories apply the same channels."""
    quil = "DECLARE ro BIT[2]\nRX(pi/2) 110\nRX(pi) 111\nCZ 110 111\nRX(pi/2) 110\nMEASURE 110 ro[0]\nMEASURE 111 ro[1]\n"
    shots = 6000
    marg = {}
    for engine in ("aer", "reference"):
        ro = run_program(quil, ISA, shots, {}, seed=9, engine=engine).readout["ro"]
        marg[engine] = np.bincount(ro[:, 0] * 2 + ro[:, 1], minlength=4) / shots
    assert np.max(np.abs(marg["aer"] - marg["reference"])) < 0.03
    # Without noise RX(pi/2) Z RX(pi/2) is Z: 110 returns to |0> (outcome 01); noise spreads it.
    assert 0.6 < marg["aer"][1] < 0.95


def test_noisy_trajectories_on_a_qubit_with_long_t2():
    """Qubit 20 has T2 > T1 and edge 1-2 a poor fCZ: this once made aer fail ("Kraus is empty")."""
    quil = "DECLARE ro BIT[2]\nRX(pi) 20\nCZ 1 2\nMEASURE 2 ro[0]\nMEASURE 20 ro[1]\nMEASURE 2 ro[1]\n"
    ro = run_program(quil, ISA, 200, {}, seed=1).readout["ro"]
    assert ro.shape == (200, 2)
    assert ro[:, 0].mean() < 0.3  # qubit 2 stays mostly in |0>


def test_wide_noisy_programs_sample_noise_realizations(monkeypatch):
    """Past the trajectory budget, shots come from noise realizations: the statistics stay
    those of the exact (density-matrix) run."""
    from openqcs.simulator.engines import aer

    flips = "".join(f"RX(pi) {q}\n" for _ in range(10) for q in (110, 111, 112))
    quil = (f"DECLARE ro BIT[3]\n{flips}CZ 110 111\nCZ 111 112\n{flips}"
            "MEASURE 110 ro[0]\nMEASURE 111 ro[1]\nMEASURE 112 ro[2]\n")
    shots = 8000
    exact = run_program(quil, ISA, shots, {}, seed=4).readout["ro"].mean(axis=0)
    readout_only = np.array([1 - device_from_isa(ISA).f_ro[q] for q in (110, 111, 112)])
    assert np.all(exact > readout_only + 0.05)  # gate noise shows beyond readout error
    monkeypatch.setattr(aer, "DENSITY_MATRIX_MAX_QUBITS", 1)
    monkeypatch.setattr(aer, "TRAJECTORY_BUDGET", 1)
    monkeypatch.setattr(aer, "MIN_REALIZATIONS", 800)
    monkeypatch.setattr(aer, "MAX_REALIZATIONS", 800)
    sampled = run_program(quil, ISA, shots, {}, seed=4).readout["ro"]
    assert sampled.shape == (shots, 3)
    # 800 realizations: one standard error is about 0.5/sqrt(800) = 0.018.
    assert np.max(np.abs(sampled.mean(axis=0) - exact)) < 0.06


@pytest.mark.parametrize("engine", ["aer", "reference"])
def test_active_reset_fails_as_often_as_far_says(engine):
    q = 21  # fAR 0.9125, fRO 0.899
    dev = device_from_isa(ISA)
    quil = f"DECLARE ro BIT[1]\nRX(pi) {q}\nRESET {q}\nMEASURE {q} ro[0]\n"
    ro = run_program(quil, ISA, 6000, {}, seed=8, engine=engine).readout["ro"]
    fail, flip = 1 - dev.f_ar[q], 1 - dev.f_ro[q]
    assert ro.mean() == pytest.approx(fail * (1 - flip) + (1 - fail) * flip, abs=0.02)
