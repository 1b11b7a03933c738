"""The QVM's noise on both engines: ADD-KRAUS replaces its gate, READOUT-POVM corrupts the record
asymmetrically, gate-noise / measurement-noise are Pauli channels, and rng-seed repeats a run.
Counts are checked with bounds of at least five binomial standard deviations."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest

from openqcs.forest.qvm.app import QVMError, run_request
from openqcs.simulator.engine import get_engine
from openqcs.simulator.program import parse_program
from openqcs.simulator.program_noise import program_noise
from openqcs.simulator.simulate import initial_memory

SHOTS = 4000


def kraus_pragma(gate: str, qubits: str, matrix: np.ndarray) -> str:
    return f'PRAGMA ADD-KRAUS {gate} {qubits} "({" ".join(repr(complex(x)).strip("()").replace("j", "i") for x in matrix.ravel())})"'


def bit_flip(gate: str, qubit: int, p: float, ideal: np.ndarray) -> str:
    """pyquil's shape: the ideal gate folded into each Kraus operator."""
    return "\n".join(kraus_pragma(gate, str(qubit), k @ ideal)
                     for k in (math.sqrt(1 - p) * np.eye(2), math.sqrt(p) * np.array([[0, 1], [1, 0]])))


def ones_fraction(quil: str, engine: str, shots: int = SHOTS, seed: int = 1, **noise) -> np.ndarray:
    program = parse_program(quil)
    model = program_noise(program, noise.get("gate"), noise.get("measure"))
    result = get_engine(engine).run(program, initial_memory(program, {}), shots, model, seed)
    return result.readout["ro"].mean(axis=0)


def within(value: float, p: float, shots: int = SHOTS) -> bool:
    return abs(value - p) <= 5 * math.sqrt(p * (1 - p) / shots) + 1e-9


ENGINES = ["aer", "reference"]


@pytest.mark.parametrize("engine", ENGINES)
def test_add_kraus_replaces_the_gate_it_names(engine):
    # The identity as the Kraus map of X: X on qubit 0 no longer flips it; X on qubit 1 still does.
    quil = f"DECLARE ro BIT[2]\n{kraus_pragma('X', '0', np.eye(2))}\nX 0\nX 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
    assert list(ones_fraction(quil, engine, shots=200)) == [0.0, 1.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_add_kraus_bit_flip_folded_into_rx_pi(engine):
    rx_pi = np.array([[0, -1j], [-1j, 0]])
    quil = f"DECLARE ro BIT[1]\n{bit_flip('RX', 0, 0.2, rx_pi)}\nRX(pi) 0\nMEASURE 0 ro[0]\n"
    assert within(ones_fraction(quil, engine)[0], 0.8)


def test_add_kraus_on_a_two_qubit_gate_uses_quils_operand_order():
    # CNOT 1 0 (control qubit 1) written as a Kraus map for a gate on operands (1, 0).
    cnot = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    quil = (f"DECLARE ro BIT[2]\n{kraus_pragma('NOISY-CNOT', '1 0', cnot)}\n"
            "DEFGATE NOISY-CNOT AS MATRIX:\n    1, 0, 0, 0\n    0, 1, 0, 0\n    0, 0, 0, 1\n    0, 0, 1, 0\n"
            "X 1\nNOISY-CNOT 1 0\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n")
    for engine in ENGINES:
        assert list(ones_fraction(quil, engine, shots=100)) == [1.0, 1.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_readout_povm_is_asymmetric(engine):
    povm = 'PRAGMA READOUT-POVM {q} "(0.9 0.3 0.1 0.7)"'  # p(1|0) = 0.1, p(0|1) = 0.3
    quil = f"DECLARE ro BIT[2]\n{povm.format(q=0)}\n{povm.format(q=1)}\nI 0\nX 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
    zero, one = ones_fraction(quil, engine)
    assert within(zero, 0.1) and within(one, 0.7)


@pytest.mark.parametrize("engine", ENGINES)
def test_gate_noise_follows_every_gate_on_each_of_its_qubits(engine):
    # Z errors do not show in Z readout; X errors after each of the two gates on qubit 0 cancel in pairs.
    quil = "DECLARE ro BIT[2]\nX 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
    q0, q1 = ones_fraction(quil, engine, gate=(0.1, 0.0, 0.3))
    p_odd = 2 * 0.1 * 0.9  # qubit 0: X error after X and after CNOT, odd count flips it
    assert within(q0, 1 - p_odd) and within(q1, 0.9 * (1 - 0.1) + 0.1 * 0.1)


@pytest.mark.parametrize("engine", ENGINES)
def test_measurement_noise_acts_before_each_measure(engine):
    quil = "DECLARE ro BIT[2]\nX 0\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
    q0, q1 = ones_fraction(quil, engine, measure=(0.0, 0.25, 0.0))
    assert within(q0, 0.75) and within(q1, 0.25)


def multishot(**fields):
    body = msgspec.json.encode({k.replace("_", "-"): v for k, v in fields.items()})
    return msgspec.json.decode(run_request(body).body)


def test_rng_seed_repeats_noisy_results_and_another_seed_differs():
    quil = "DECLARE ro BIT[4]\n" + "".join(f"H {q}\nMEASURE {q} ro[{q}]\n" for q in range(4))
    runs = [multishot(type="multishot", compiled_quil=quil, addresses={"ro": True}, trials=50,
                      gate_noise=[0.05, 0.0, 0.0], measurement_noise=[0.0, 0.02, 0.0], rng_seed=seed)
            for seed in (42, 42, 43)]
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_seeded_noisy_wavefunction_is_reproducible():
    def wavefunction(seed: int) -> bytes:
        body = msgspec.json.encode({"type": "wavefunction", "compiled-quil": "H 0\nCNOT 0 1\nH 2\n",
                                    "gate-noise": [0.2, 0.2, 0.2], "rng-seed": seed})
        return run_request(body).body

    first = {wavefunction(7) for _ in range(3)}
    assert len(first) == 1 and len({wavefunction(s) for s in range(8)}) > 1


@pytest.mark.parametrize(("pragma", "needle"), [
    ('PRAGMA ADD-KRAUS X 0 "(1 0 0 0.5)"', "do not preserve trace"),
    ('PRAGMA ADD-KRAUS X 0 "(1 0 0)"', "has 4 entries, got 3"),
    ('PRAGMA ADD-KRAUS X 0 "(1 0 0 zz)"', "'zz' is not a number"),
    ("PRAGMA ADD-KRAUS X", "needs a gate name and its qubits"),
    ('PRAGMA READOUT-POVM 0 "(0.9 0.1 0.2 0.9)"', "each column must sum to 1"),
    ('PRAGMA READOUT-POVM 0 "(1.5 0 -0.5 1)"', "four probabilities"),
])
def test_bad_noise_pragmas_are_refused_with_their_text(pragma, needle):
    body = msgspec.json.encode({"type": "multishot", "compiled-quil": f"DECLARE ro BIT[1]\n{pragma}\nX 0\n",
                                "addresses": {"ro": True}, "trials": 1})
    with pytest.raises(QVMError) as caught:
        run_request(body)
    assert needle in caught.value.status


@pytest.mark.parametrize("engine", ENGINES)
def test_gate_noise_also_follows_a_full_reset_on_every_qubit(engine):
    quil = "DECLARE ro BIT[2]\nRESET\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
    q0, q1 = ones_fraction(quil, engine, gate=(0.0, 0.3, 0.0))
    assert within(q0, 0.3) and within(q1, 0.3)


@pytest.mark.parametrize("engine", ENGINES)
def test_noise_pragmas_name_physical_qubits_whatever_the_compression(engine):
    # Qubits 3 and 7 become dense 0 and 1: the pragmas still act on qubit 7 only.
    quil = (f"DECLARE ro BIT[2]\n{kraus_pragma('X', '7', np.eye(2))}\nPRAGMA READOUT-POVM 3 \"(1 0.5 0 0.5)\"\n"
            "X 3\nX 7\nMEASURE 3 ro[0]\nMEASURE 7 ro[1]\n")
    three, seven = ones_fraction(quil, engine)
    assert within(three, 0.5) and seven == 0.0
