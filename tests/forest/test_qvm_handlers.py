"""The QVM's request types at the handler level: replies in the shapes pyquil reads, compressed
qubits, exact amplitudes and expectations, and clear errors for every client-side mistake."""

from __future__ import annotations

import math
from functools import reduce

import msgspec
import numpy as np
import pytest

from openqcs.forest.qvm.app import QVMError, run_request

BELL = "DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
H = np.array([[1, 1], [1, -1]]) / math.sqrt(2)


def call(**fields) -> bytes:
    return run_request(msgspec.json.encode({k.replace("_", "-"): v for k, v in fields.items()})).body


def decoded(**fields):
    return msgspec.json.decode(call(**fields))


def amplitudes(quil: str, **fields) -> np.ndarray:
    body = call(type="wavefunction", compiled_quil=quil, **fields)
    return np.frombuffer(body, dtype=">c16").astype(complex)


def test_version_is_plain_text_pyquil_can_parse():
    text = call(type="version").decode()
    major, minor = map(int, text.split(".")[:2])
    assert (major, minor) >= (1, 8) and "openqcs" in text


def test_multishot_bell_pairs_agree_and_both_outcomes_occur():
    ro = decoded(type="multishot", compiled_quil=BELL, addresses={"ro": True}, trials=1000)["ro"]
    assert len(ro) == 1000 and all(len(t) == 2 and t[0] == t[1] for t in ro)
    ones = sum(t[0] for t in ro)
    assert 400 < ones < 600  # binomial(1000, 1/2): more than 6 standard deviations either side


def test_multishot_addresses_select_indices_exclude_regions_and_report_unmeasured_memory():
    quil = ("DECLARE ro BIT[3]\nDECLARE theta REAL[2]\nDECLARE b BIT[1]\nMOVE theta[1] 0.25\n"
            "X 0\nX 2\nMEASURE 0 ro[0]\nMEASURE 2 ro[2]\n")
    out = decoded(type="multishot", compiled_quil=quil, addresses={"ro": [2, 1], "b": False, "theta": True},
                  trials=3)
    assert out == {"ro": [[1, 0]] * 3, "theta": [[0.0, 0.25]] * 3}


def test_multishot_runs_a_parametric_program_with_the_moves_the_sdk_prepends():
    quil = "DECLARE ro BIT[1]\nDECLARE theta REAL[1]\nMOVE theta[0] 3.141592653589793\nRX(theta[0]) 0\nMEASURE 0 ro[0]\n"
    assert decoded(type="multishot", compiled_quil=quil, addresses={"ro": True}, trials=50)["ro"] == [[1]] * 50


def test_multishot_keeps_classical_control():
    quil = ("DECLARE ro BIT[2]\nH 0\nMEASURE 0 ro[0]\nJUMP-UNLESS @end ro[0]\nX 1\nLABEL @end\n"
            "MEASURE 1 ro[1]\n")
    ro = decoded(type="multishot", compiled_quil=quil, addresses={"ro": True}, trials=200, rng_seed=3)["ro"]
    assert all(a == b for a, b in ro) and {a for a, _ in ro} == {0, 1}


def test_multishot_of_an_empty_program_returns_nothing_requested():
    assert decoded(type="multishot", compiled_quil="", addresses={}, trials=3) == {}


def test_program_field_may_be_quil_instructions():
    out = decoded(type="multishot", quil_instructions="DECLARE ro BIT[1]\nX 5\nMEASURE 5 ro[0]\n",
                  addresses={"ro": True}, trials=2)
    assert out == {"ro": [[1], [1]]}


def test_multishot_measure_reads_requested_qubits_in_order_and_unused_ones_as_zero():
    rows = decoded(type="multishot-measure", compiled_quil="X 2\nH 4\nCNOT 4 7\n", qubits=[7, 9, 2, 4], trials=300)
    assert len(rows) == 300
    assert all(r[1] == 0 and r[2] == 1 and r[0] == r[3] for r in rows)
    assert 90 < sum(r[0] for r in rows) < 210


def test_wavefunction_is_big_endian_complex_over_the_used_qubits_only():
    body = call(type="wavefunction", compiled_quil="X 3\nH 7\n")
    assert len(body) == 16 * 4  # two qubits used, whatever their indices
    # Bit k of the index is the k-th used qubit: qubit 3 is set, qubit 7 is in (|0> + |1>)/sqrt 2.
    assert np.allclose(np.frombuffer(body, dtype=">c16"), [0, 1 / math.sqrt(2), 0, 1 / math.sqrt(2)])


def _kron(per_qubit: list[np.ndarray]) -> np.ndarray:
    """Oracle: one matrix per qubit, qubit 0 first. numpy's kron puts its first factor on the most
    significant bit, and bit k of an amplitude's index is qubit k: list the last qubit first."""
    return reduce(np.kron, list(reversed(per_qubit)))


def _ry(a: float) -> np.ndarray:
    return np.array([[math.cos(a / 2), -math.sin(a / 2)], [math.sin(a / 2), math.cos(a / 2)]])


def test_wavefunction_amplitudes_match_an_independent_kronecker_oracle():
    rng = np.random.default_rng(11)
    index = np.arange(16)
    # CZ 0 1 and CZ 2 3: a sign on the indices where both bits of a pair are set.
    cz_pairs = np.where((index & 1) & (index >> 1 & 1), -1, 1) * np.where((index >> 2 & 1) & (index >> 3 & 1), -1, 1)
    lines, state = [], np.eye(16, dtype=complex)[0]
    for row in rng.uniform(0, 2 * math.pi, size=(3, 4)):
        lines += [f"RY({a}) {q}" for q, a in enumerate(row)] + ["CZ 0 1", "CZ 2 3"]
        state = cz_pairs * (_kron([_ry(a) for a in row]) @ state)
    assert np.allclose(amplitudes("\n".join(lines) + "\n"), state, atol=1e-10)


def test_wavefunction_of_a_parametric_program_uses_its_memory():
    quil = "DECLARE theta REAL[1]\nMOVE theta[0] 0.7\nRX(theta[0]) 0\nH 1\n"
    rx = np.array([[math.cos(0.35), -1j * math.sin(0.35)], [-1j * math.sin(0.35), math.cos(0.35)]])
    assert np.allclose(amplitudes(quil), _kron([rx, H]) @ np.eye(4)[0])


def test_wavefunction_of_an_empty_program_is_one_amplitude():
    assert np.allclose(amplitudes(""), [1])


def test_expectation_of_pauli_terms_is_exact():
    prep = "RY(0.9) 0\nH 1\nCNOT 1 2\n"
    values = decoded(type="expectation", state_preparation=prep, operators=["Z 0\n", "X 0\n", "Z 1\nZ 2\n",
                                                                             "X 1\nX 2\n", "Z 5\n", "Z 1\n"])
    assert np.allclose(values, [math.cos(0.9), math.sin(0.9), 1, 1, 1, 0], atol=1e-12)


def test_expectation_of_an_operator_on_a_qubit_the_preparation_never_touches():
    assert decoded(type="expectation", state_preparation="X 0\n", operators=["Z 3\nZ 0\n", "X 3\n"]) == [-1.0, 0.0]


@pytest.mark.parametrize(("fields", "needle"), [
    ({"type": "teleport"}, "unknown request type 'teleport'"),
    ({"type": "multishot", "compiled-quil": BELL, "addresses": {"ro": True}, "trials": 0}, "trials must be"),
    ({"type": "multishot", "compiled-quil": BELL, "addresses": {"ro": True}, "trials": 10**7}, "trials must be"),
    ({"type": "multishot", "compiled-quil": BELL, "addresses": {"ro": True}, "trials": "5"}, "trials must be"),
    ({"type": "multishot", "compiled-quil": BELL, "trials": 5}, "needs addresses"),
    ({"type": "multishot", "compiled-quil": BELL, "addresses": {"rx": True}, "trials": 5}, "does not DECLARE"),
    ({"type": "multishot", "compiled-quil": BELL, "addresses": {"ro": [0, 9]}, "trials": 5}, "indices below 2"),
    ({"type": "multishot", "addresses": {"ro": True}, "trials": 5}, "needs the program"),
    ({"type": "multishot", "compiled-quil": "H 0\nFOO 1\n", "addresses": {}, "trials": 5}, "line 2: `FOO 1`"),
    ({"type": "multishot", "compiled-quil": "H 0\nH(\n", "addresses": {}, "trials": 5}, "does not parse"),
    ({"type": "wavefunction", "compiled-quil": "".join(f"H {q}\n" for q in range(27))}, "at most 26 qubits"),
    ({"type": "multishot", "compiled-quil": "DECLARE ro BIT\n" + "".join(f"H {q}\nMEASURE {q} ro\n" for q in range(22))
      + "H 0\n", "addresses": {"ro": True}, "trials": 65535}, "use fewer trials or qubits"),
    ({"type": "multishot-measure", "compiled-quil": "H 0\n", "qubits": [0, -1], "trials": 3}, "qubit indices"),
    ({"type": "expectation", "state-preparation": "H 0\n"}, "needs operators"),
    ({"type": "expectation", "state-preparation": "H 0\n", "operators": ["DECLARE ro BIT\nMEASURE 0 ro\n"]},
     "only gates"),
    ({"type": "wavefunction", "compiled-quil": "H 0\n", "gate-noise": [0.5, 0.6, 0.0]}, "sum at most 1"),
    ({"type": "wavefunction", "compiled-quil": "H 0\n", "measurement-noise": [0.1]}, "three probabilities"),
    ({"type": "wavefunction", "compiled-quil": "H 0\n", "rng-seed": "x"}, "rng-seed must be an integer"),
])
def test_client_mistakes_get_a_clear_error(fields, needle):
    assert needle in run_error(fields)


def run_error(fields: dict) -> str:
    with pytest.raises(QVMError) as caught:
        run_request(msgspec.json.encode(fields))
    return caught.value.status


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'{"trials": 3}'])
def test_a_body_that_is_not_a_request_object_is_refused(body):
    with pytest.raises(QVMError) as caught:
        run_request(body)
    assert "JSON" in caught.value.status
