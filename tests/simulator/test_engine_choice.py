"""Engines per job from their capabilities, and the qsim engine against the numpy oracle."""

from __future__ import annotations

import numpy as np
import pytest

from openqcs.simulator.device import device_from_isa
from openqcs.simulator.engine import choose_engine, get_engine
from openqcs.simulator.noise import noise_for
from openqcs.simulator.program import parse_program
from openqcs.simulator.simulate import initial_memory
from tests.simulator.data import ISA

DEVICE = device_from_isa(ISA)
# A chain of CZ-coupled live qubits on Aspen-M-3.
CHAIN = [0, 1, 2, 3, 4, 5, 6, 7]


def chain_program(n: int, depth: int = 3, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    qubits = sorted(DEVICE.qubits)[:n] if n > len(CHAIN) else CHAIN[:n]
    lines = [f"DECLARE ro BIT[{n}]"]
    for d in range(depth):
        for q in qubits:
            lines += [f"RZ({rng.random() * 6:.5f}) {q}", f"RX(pi/2) {q}"]
        for a, b in zip(qubits[d % 2::2], qubits[d % 2 + 1::2], strict=False):
            if frozenset((a, b)) in DEVICE.edges:
                lines.append(f"CZ {a} {b}")
    lines += [f"MEASURE {q} ro[{i}]" for i, q in enumerate(qubits)]
    return "\n".join(lines) + "\n"


def test_each_job_gets_the_engine_its_needs_allow():
    small, wide = parse_program(chain_program(4)), parse_program(chain_program(14))
    control = parse_program("DECLARE ro BIT[1]\nRX(pi) 0\nMEASURE 0 ro[0]\nJUMP-WHEN @end ro[0]\nRX(pi) 0\nLABEL @end\n")
    assert choose_engine(small, None) == "reference"  # noiseless, one state, cheapest set-up
    assert choose_engine(small, noise_for(DEVICE, small)) == "aer"  # exact density matrix
    assert choose_engine(wide, noise_for(DEVICE, wide)) == "qsim"
    assert choose_engine(wide, None) == "qsim"
    assert choose_engine(control, noise_for(DEVICE, control)) == "aer"  # classical control


def _distribution(bits: np.ndarray) -> np.ndarray:
    index = bits @ (1 << np.arange(bits.shape[1]))
    return np.bincount(index, minlength=2 ** bits.shape[1]) / len(bits)


@pytest.mark.parametrize("noisy", [False, True])
def test_qsim_agrees_with_the_reference(noisy):
    program = parse_program(chain_program(3, depth=4, seed=3))
    memory = initial_memory(program, {})
    noise = noise_for(DEVICE, program) if noisy else None
    shots = 6000
    qsim = get_engine("qsim").run(program, memory, shots, noise, 1).readout["ro"]
    reference = get_engine("reference").run(program, memory, shots, noise, 2).readout["ro"]
    assert qsim.shape == reference.shape == (shots, 3)
    assert np.abs(_distribution(qsim) - _distribution(reference)).max() < 0.03


def test_wide_noiseless_clifford_programs_go_to_stim():
    clifford = chain_program(14).replace("RZ(", "RZ(pi/2+0*")  # every RZ a quarter turn
    assert "RZ(pi/2+0*" in clifford
    assert choose_engine(parse_program(clifford), None) == "stim"
    wide = parse_program(chain_program(14))
    assert choose_engine(wide, None) == "qsim"  # RZ(θ): not Clifford
    calibrated = parse_program(clifford)
    assert choose_engine(calibrated, noise_for(DEVICE, calibrated)) == "qsim"  # relaxation is not Pauli


@pytest.mark.parametrize("noisy", [False, True])
def test_stim_agrees_with_the_reference_with_resets_and_mid_circuit_measurements(noisy):
    from openqcs.simulator.program_noise import program_noise

    quil = ("DECLARE ro BIT[4]\nRZ(pi/2) 0\nRX(pi/2) 0\nRZ(pi/2) 0\nRZ(pi/2) 1\nRX(pi/2) 1\nCZ 0 1\n"
            "RX(-pi/2) 1\nMEASURE 0 ro[0]\nRESET 0\nRX(pi) 0\nCZ 0 1\nRX(pi/2) 2\nMEASURE 0 ro[1]\n"
            "MEASURE 1 ro[2]\nMEASURE 2 ro[3]\n")
    program = parse_program(quil)
    memory = initial_memory(program, {})
    noise = program_noise(program, (0.02, 0.01, 0.03), (0.05, 0.0, 0.0)) if noisy else None
    shots = 6000
    stim_bits = get_engine("stim").run(program, memory, shots, noise, 1).readout["ro"]
    reference = get_engine("reference").run(program, memory, shots, noise, 2).readout["ro"]
    assert np.abs(_distribution(stim_bits) - _distribution(reference)).max() < 0.03
