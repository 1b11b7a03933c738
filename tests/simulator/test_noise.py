"""The noise model read from an ISA: each gate's channel has the calibrated average fidelity."""

from __future__ import annotations

import numpy as np
import pytest

from openqcs.simulator.device import device_from_isa
from openqcs.simulator.engines.reference import _thermal_kraus
from openqcs.simulator.noise import Depolarizing, Thermal, depolarizing_param, noise_for
from tests.simulator.test_engine import ISA

PAULIS = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1, -1])]


def kraus_of(channel) -> list[np.ndarray]:
    if isinstance(channel, Thermal):
        return _thermal_kraus(channel)
    n = len(channel.qubits)
    paulis = PAULIS if n == 1 else [np.kron(a, b) for a in PAULIS for b in PAULIS]
    lam = channel.param
    weights = [1 - lam + lam / len(paulis)] + [lam / len(paulis)] * (len(paulis) - 1)
    return [np.sqrt(w) * p for w, p in zip(weights, paulis)]


def average_fidelity(kraus_lists: list[list[np.ndarray]], d: int) -> float:
    """Average gate fidelity of channels applied in sequence (ideal gate: identity)."""
    ops = [np.eye(d)]
    for kraus in kraus_lists:
        ops = [k @ o for o in ops for k in kraus]
    entanglement = sum(abs(np.trace(k)) ** 2 for k in ops) / d**2
    return (d * entanglement + 1) / (d + 1)


def test_device_reads_calibration():
    dev = device_from_isa(ISA)
    assert dev.name == "Aspen-M-3"
    assert 136 not in dev.qubits and 0 in dev.qubits and len(dev.qubits) == 79
    assert frozenset((0, 1)) in dev.edges and frozenset((6, 7)) not in dev.edges
    assert dev.f_ro[0] == pytest.approx(0.953)
    assert dev.f_rb[0] == pytest.approx(0.9965981572483044)  # the simultaneous benchmark wins
    assert dev.t1[0] == pytest.approx(1.0019627401991473e-05)
    assert dev.edge_fidelity("CZ", 1, 0) == pytest.approx(0.9533028676869748)
    assert dev.edge_fidelity("XY", 0, 1) == pytest.approx(0.9692869862329808)
    assert dev.edge_fidelity("CNOT", 0, 1) == pytest.approx(0.9533028676869748)


@pytest.mark.parametrize("qubit", [0, 1, 110, 21])
def test_one_qubit_gate_fidelity_equals_frb(qubit):
    dev = device_from_isa(ISA)
    spec = noise_for(dev, [qubit])
    channels = spec.gate_channels("RX", (0,), virtual=False)
    assert any(isinstance(c, Thermal) for c in channels)
    assert average_fidelity([kraus_of(c) for c in channels], 2) == pytest.approx(dev.f_rb[qubit], abs=1e-6)
    assert spec.gate_channels("RZ", (0,), virtual=True) == ()
    assert spec.readout_flip[0] == pytest.approx(1 - dev.f_ro[qubit])


@pytest.mark.parametrize("gate, figure", [("CZ", "fCZ"), ("XY", "fXY"), ("CPHASE", "fCPHASE")])
def test_two_qubit_gate_fidelity_equals_edge_figure(gate, figure):
    dev = device_from_isa(ISA)
    spec = noise_for(dev, [0, 1])
    (channel,) = spec.gate_channels(gate, (0, 1), virtual=False)
    assert isinstance(channel, Depolarizing)
    want = dev.edge_f[frozenset((0, 1))][figure]
    assert average_fidelity([kraus_of(channel)], 4) == pytest.approx(want, abs=1e-9)


def test_depolarizing_param_bounds():
    assert depolarizing_param(1.0, 1) == 0
    assert depolarizing_param(0.5, 1) == 1.0
    assert depolarizing_param(0.25, 2) == 1.0
    assert depolarizing_param(0.99, 2) == pytest.approx(0.01 * 4 / 3)


def test_an_isa_without_calibration_is_noiseless():
    bare = {"architecture": {"nodes": [{"node_id": 0}, {"node_id": 1}], "edges": [{"node_ids": [0, 1]}]}}
    spec = noise_for(device_from_isa(bare), [0, 1])
    assert spec.gate_channels("RX", (0,), False) == ()
    assert spec.gate_channels("CZ", (0, 1), False) == ()
    assert spec.readout_flip == [0.0, 0.0]


def test_swap_costs_three_native_gates():
    dev = device_from_isa(ISA)
    spec = noise_for(dev, [0, 1])
    lam = depolarizing_param(dev.edge_fidelity("CZ", 0, 1), 2)
    (swap,) = spec.gate_channels("SWAP", (0, 1), virtual=False)
    assert swap.param == pytest.approx(1 - (1 - lam) ** 3)
    # Three applications of the CZ channel are the SWAP channel.
    three = average_fidelity([kraus_of(Depolarizing((0, 1), lam))] * 3, 4)
    assert average_fidelity([kraus_of(swap)], 4) == pytest.approx(three, abs=1e-9)
