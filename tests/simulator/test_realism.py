"""Realism: the experiments that define a calibration's figures recover them from the simulator
(``characterize.py``, the same code the realism benchmark runs with more statistics)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openqcs.simulator import characterize as ch
from openqcs.simulator.device import device_from_isa
from openqcs.simulator.simulate import run_program
from tests.simulator.data import ISA

DEVICE = device_from_isa(ISA)


def runner(engine: str = "aer"):
    def run(quil: str, shots: int) -> np.ndarray:
        return run_program(quil, ISA, shots, {}, seed=sum(map(ord, quil)) % 2**31, engine=engine).readout["ro"]

    return run


def p1(quil: str, shots: int = 4000, engine: str = "aer") -> float:
    return float(runner(engine)(quil, shots)[:, 0].mean())


@pytest.mark.parametrize("qubit", [30, 0])
def test_delay_decays_a_qubit_at_the_published_t1(qubit):
    t1 = DEVICE.t1[qubit]
    excited = p1(f"DECLARE ro BIT[1]\nRX(pi) {qubit}\nMEASURE {qubit} ro[0]\n")
    waited = p1(f"DECLARE ro BIT[1]\nRX(pi) {qubit}\nDELAY {qubit} {t1!r}\nMEASURE {qubit} ro[0]\n")
    flip = 1 - DEVICE.f_ro[qubit]
    # P(1) after a wait of T1: the excited population times 1/e, seen through the readout.
    population = (excited - flip) / (1 - 2 * flip)
    assert waited == pytest.approx(flip + (1 - 2 * flip) * population / math.e, abs=0.03)
    fitted = ch.t1(runner(), qubit, list(np.linspace(0, 3 * t1, 10)), 3000)
    assert fitted == pytest.approx(t1, rel=0.1)


@pytest.mark.parametrize("qubit", [46, 0])  # T2* 2.6 us < T1; T2* 18 us > T1 = 10 us
def test_ramsey_recovers_t2_star(qubit):
    t2 = DEVICE.t2[qubit]
    fitted = ch.t2_ramsey(runner(), qubit, list(np.linspace(0, 3 * t2, 10)), 3000)
    assert fitted == pytest.approx(t2, rel=0.1)


def test_identity_gates_and_waiting_for_a_partner_relax_a_qubit():
    t1 = DEVICE.t1[0]
    pulses = round(t1 / 40e-9)
    fresh = p1("DECLARE ro BIT[1]\nRX(pi) 0\nMEASURE 0 ro[0]\n")
    idle = p1("DECLARE ro BIT[1]\nRX(pi) 0\n" + "I 0\n" * pulses + "MEASURE 0 ro[0]\n")
    # Qubit 0 waits at the CZ while qubit 1 is delayed, and at the FENCE.
    partner = p1(f"DECLARE ro BIT[1]\nRX(pi) 0\nDELAY 1 {t1!r}\nCZ 0 1\nMEASURE 0 ro[0]\n")
    fenced = p1(f"DECLARE ro BIT[1]\nRX(pi) 0\nDELAY 1 {t1!r}\nFENCE 0 1\nMEASURE 0 ro[0]\n")
    flip = 1 - DEVICE.f_ro[0]
    expected = flip + (fresh - flip) / math.e
    for value in (idle, partner, fenced):
        assert value == pytest.approx(expected, abs=0.04)
    assert fresh > 0.85


def test_readout_experiment_recovers_fro():
    qubits = [116, 105, 0, 21, 30]
    found = ch.readout_fidelity(runner(), qubits, 40000)
    for q in qubits:
        assert 1 - found[q] == pytest.approx(1 - DEVICE.f_ro[q], rel=0.05, abs=0.002), q


def test_reset_leaves_a_qubit_in_zero_alone():
    q = 21  # fAR 0.9125
    plain = p1(f"DECLARE ro BIT[1]\nRX(pi) {q}\nMEASURE {q} ro[0]\n", 20000)
    reset = p1(f"DECLARE ro BIT[1]\nRESET {q}\nRX(pi) {q}\nMEASURE {q} ro[0]\n", 20000)
    assert reset == pytest.approx(plain, abs=0.015)
    # From |1>, active reset fails with 1 - fAR.
    from_one = p1(f"DECLARE ro BIT[1]\nRX(pi) {q}\nRESET {q}\nMEASURE {q} ro[0]\n", 20000)
    flip = 1 - DEVICE.f_ro[q]
    stays = (1 - DEVICE.f_ar[q]) * 0.99  # about 1% of RX(pi) leaves it in |0>
    assert from_one == pytest.approx(stays * (1 - flip) + (1 - stays) * flip, abs=0.015)


def test_isolated_rb_follows_the_isolated_figure_and_simultaneous_rb_the_simultaneous_one():
    q = 40  # fRB 0.99879 alone, 0.91886 with its neighbours driven
    neighbours = sorted(n for n in DEVICE.neighbours[q] if n in DEVICE.qubits)
    alone = ch.randomized_benchmark(runner(), [q], ch.rb_lengths(1 - DEVICE.f_rb[q]), 8, 1000, seed=1)[q]
    assert 1 - alone == pytest.approx(1 - DEVICE.f_rb[q], rel=0.2)
    together = ch.randomized_benchmark(runner(), [q, *neighbours], ch.rb_lengths(1 - DEVICE.f_rb_sim[q]), 16,
                                       500, seed=2, measured=[q])[q]
    assert 1 - together == pytest.approx(1 - DEVICE.f_rb_sim[q], rel=0.15)


@pytest.mark.parametrize("engine", ["aer", "reference"])
def test_engines_agree_on_a_timeline_with_delays_resets_and_crosstalk(engine):
    quil = ("DECLARE ro BIT[3]\nRX(pi) 40\nRX(pi/2) 41\nDELAY 47 2e-6\nRX(pi) 47\nCZ 40 41\nRESET 41\n"
            "RX(pi/2) 41\nFENCE\nMEASURE 40 ro[0]\nMEASURE 41 ro[1]\nMEASURE 47 ro[2]\n")
    shots = 6000
    ro = runner(engine)(quil, shots)
    exact = runner("aer")(quil, 40000)  # density matrix
    assert np.max(np.abs(ro.mean(axis=0) - exact.mean(axis=0))) < 0.03


def test_two_qubit_cliffords_in_native_gates_invert_exactly():
    import stim

    rng = np.random.default_rng(5)
    for _ in range(10):
        t = stim.Tableau.random(2)
        target = [int(x) for x in rng.integers(2, size=2)]
        last = t.inverse().to_circuit("elimination")
        for i, bit in enumerate(target):
            if bit:
                last.append("X", [i])
        body = ch._native_2q(t.to_circuit("elimination"), 10, 11) + ch._native_2q(last, 10, 11)
        assert all(line.split("(")[0].split()[0] in ("RX", "RZ", "CZ") for line in body)
        ro = run_program(ch._program(body, [10, 11]), ISA, 20, {}, noiseless=True).readout["ro"]
        assert ro.tolist() == [target] * 20
