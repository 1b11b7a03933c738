"""The noise model read from an ISA: each gate's channel has the calibrated average fidelity."""

from __future__ import annotations

import numpy as np
import pytest

from openqcs.simulator import rb_model
from openqcs.simulator.device import device_from_isa
from openqcs.simulator.engines.reference import _thermal_kraus
from openqcs.simulator.noise import PULSE_TIME, Depolarizing, Thermal, depolarizing_param, noise_for
from tests.simulator.data import ISA

PAULIS = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1, -1])]


def kraus_of(channel) -> list[np.ndarray]:
    if isinstance(channel, Thermal):
        return _thermal_kraus(channel)
    n = len(channel.qubits)
    paulis = PAULIS if n == 1 else [np.kron(a, b) for a in PAULIS for b in PAULIS]
    lam = channel.param
    weights = [1 - lam + lam / len(paulis)] + [lam / len(paulis)] * (len(paulis) - 1)
    return [np.sqrt(w) * p for w, p in zip(weights, paulis, strict=True)]


def average_fidelity(kraus_lists: list[list[np.ndarray]], d: int) -> float:
    """Average gate fidelity of channels applied in sequence (ideal gate: identity)."""
    ops = [np.eye(d)]
    for kraus in kraus_lists:
        ops = [k @ o for o in ops for k in kraus]
    entanglement = sum(abs(np.trace(k)) ** 2 for k in ops) / d**2
    return (d * entanglement + 1) / (d + 1)


def embedded(channel, qubits: int) -> list[np.ndarray]:
    """Kraus operators of a channel on dense qubits 0..qubits-1 (qubit 0 most significant)."""
    kraus = kraus_of(channel)
    if qubits == 1 or (not isinstance(channel, Thermal) and len(channel.qubits) == qubits):
        return kraus
    eye = np.eye(2)
    return [np.kron(k, eye) if channel.qubit == 0 else np.kron(eye, k) for k in kraus]


def test_device_reads_calibration():
    dev = device_from_isa(ISA)
    assert dev.name == "Aspen-M-3"
    assert 136 not in dev.qubits and 0 in dev.qubits and len(dev.qubits) == 79
    assert frozenset((0, 1)) in dev.edges and frozenset((6, 7)) not in dev.edges
    assert dev.f_ro[0] == pytest.approx(0.953)
    assert dev.f_rb[0] == pytest.approx(0.9979825617209416)  # randomized_benchmark_1q: alone
    assert dev.f_rb_sim[0] == pytest.approx(0.9965981572483044)
    assert dev.t1[0] == pytest.approx(1.0019627401991473e-05)
    assert dev.edge_fidelity("CZ", 1, 0) == pytest.approx(0.9533028676869748)
    assert dev.edge_fidelity("XY", 0, 1) == pytest.approx(0.9692869862329808)
    assert dev.native_2q[frozenset((20, 123))] == {"XY"}
    assert dev.neighbours[0] == {1, 7, 103}


@pytest.mark.parametrize("qubit", [0, 1, 110, 21, 46, 30])
@pytest.mark.parametrize("crowded", [False, True])
def test_a_pulse_makes_clifford_rb_decay_at_frb(qubit, crowded):
    """The exact RB decay of the 24 Cliffords with this pulse channel is 1 - 2 (1 - fRB); on
    q46 relaxation alone exceeds the budget, and still the figure holds."""
    dev = device_from_isa(ISA)
    spec = noise_for(dev, [qubit])
    channels = spec.pulse(0, crowded)
    assert any(isinstance(c, Thermal) for c in channels)
    ptm = np.eye(4)
    for c in channels:
        ptm = (rb_model.thermal_ptm(c.t1, c.t2, c.time) if isinstance(c, Thermal)
               else rb_model.depolarizing_ptm(c.param)) @ ptm
    f = min(dev.f_rb[qubit], dev.f_rb_sim[qubit]) if crowded else dev.f_rb[qubit]
    assert (1 - rb_model.rb_decay(ptm)) / 2 == pytest.approx(1 - f, rel=1e-3)
    pulse_fidelity = average_fidelity([kraus_of(c) for c in channels], 2)
    assert pulse_fidelity == pytest.approx(1 - spec.pulse_infidelity(0, crowded), abs=1e-9)


def test_relaxation_alone_over_budget_is_charged_for_a_shorter_time():
    dev = device_from_isa(ISA)
    spec = noise_for(dev, [46])  # T2 = 2.6 us: 40 ns of dephasing exceed its fRB
    channels = spec.pulse(0)
    assert [type(c) for c in channels] == [Thermal]
    assert channels[0].time < PULSE_TIME


@pytest.mark.parametrize("gate, figure", [("CZ", "fCZ"), ("XY", "fXY"), ("CPHASE", "fCPHASE")])
def test_two_qubit_gate_fidelity_equals_edge_figure(gate, figure):
    dev = device_from_isa(ISA)
    spec = noise_for(dev, [0, 1])
    channels = spec.two_qubit(gate, (0, 1))
    assert {type(c) for c in channels} == {Thermal, Depolarizing}
    want = dev.edge_f[frozenset((0, 1))][figure]
    assert average_fidelity([embedded(c, 2) for c in channels], 4) == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize("qubit", [116, 105, 0, 30])
def test_readout_flip_does_not_count_the_pi_pulse_twice(qubit):
    dev = device_from_isa(ISA)
    spec = noise_for(dev, [qubit])
    flip, e = spec.readout_flip[0], spec.pi_pulse_error(0)
    assert e > 0 and 0 < flip < 1 - dev.f_ro[qubit]
    measured = 1 - (flip + flip * (1 - e) + (1 - flip) * e) / 2
    assert measured == pytest.approx(dev.f_ro[qubit], abs=1e-12)


def test_depolarizing_param_bounds():
    assert depolarizing_param(1.0, 1) == 0
    assert depolarizing_param(0.5, 1) == 1.0
    assert depolarizing_param(0.25, 2) == 1.0
    assert depolarizing_param(0.99, 2) == pytest.approx(0.01 * 4 / 3)


def test_an_isa_without_calibration_is_noiseless():
    bare = {"architecture": {"nodes": [{"node_id": 0}, {"node_id": 1}], "edges": [{"node_ids": [0, 1]}]}}
    spec = noise_for(device_from_isa(bare), [0, 1])
    assert spec.pulse(0) == ()
    assert spec.two_qubit("CZ", (0, 1)) == ()
    assert spec.idle(0, 1e-6) == ()
    assert spec.readout_flip == [0.0, 0.0]


def test_swap_costs_three_native_gates():
    bare_t1 = dict(ISA, benchmarks=[b for b in ISA["benchmarks"] if b["name"] != "FreeInversionRecovery"])
    dev = device_from_isa(bare_t1)  # no T1: the channels are depolarizing only
    spec = noise_for(dev, [0, 1])
    lam = depolarizing_param(dev.edge_fidelity("CZ", 0, 1), 2)
    (swap,) = spec.two_qubit("SWAP", (0, 1))
    assert swap.param == pytest.approx(1 - (1 - lam) ** 3)
