"""pyquil 4.22, unmodified, against the QVM of a live ``openqcs serve``: the wavefunction
simulator (amplitudes, expectations, run_and_measure), QVM-backed computers (noiseless and
pyquil's noisy ones), Pauli noise with seeds, and the server's errors as pyquil's QVMError."""

from __future__ import annotations

import math
import time

import httpx
import numpy as np
import pytest

from tests.support.clients import run_client, write_qcs_config
from tests.support.databases import database
from tests.support.factories import make_user
from tests.support.server import forest_env, live_server

pytestmark = pytest.mark.clients

PRELUDE = """
import json, warnings
warnings.simplefilter("ignore")
import numpy as np
from pyquil import Program, get_qc
from pyquil.api import QVM, WavefunctionSimulator
from pyquil.gates import CNOT, CZ, H, MEASURE, RX, RY, RZ, X
from pyquil.paulis import sX, sZ
"""


@pytest.fixture(scope="module")
def qvm_env(tmp_path_factory):
    """A live server with its QVM (quilc stays off: these scripts never compile) and a profile."""
    directory = tmp_path_factory.mktemp("qvm-clients")
    env = {**forest_env(), "OPENQCS_QUILC_PORT": "0"}
    with database("sqlite", str(directory)) as url, live_server(url, str(directory), **env) as srv:
        _wait_for_qvm(srv.settings.qvm_url)
        user = make_user(srv.ctx)
        yield write_qcs_config(directory / "qcs", api_url=srv.settings.api_url, grpc_url=srv.settings.grpc_url,
                               issuer=srv.settings.issuer, access_token=user.token,
                               quilc_url=srv.settings.quilc_url, qvm_url=srv.settings.qvm_url)


def _wait_for_qvm(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, json={"type": "version"}, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"no QVM answered at {url}")


def pyquil(script: str, env: dict) -> object:
    return run_client("pyquil", PRELUDE + script, env, timeout=180)


def _complex(pairs) -> np.ndarray:
    return np.array([complex(re, im) for re, im in pairs])


WAVEFUNCTIONS = """
wfs = WavefunctionSimulator()
def amps(p, memory_map=None):
    wf = wfs.wavefunction(p, memory_map=memory_map)
    return [[float(a.real), float(a.imag)] for a in wf.amplitudes], {k: float(v) for k, v in wf.get_outcome_probs().items()}
par = Program("DECLARE theta REAL[2]", "RX(theta[0]) 0", "RY(theta[1]) 1", "CNOT 0 1")
out = {
    "bell": amps(Program(H(0), CNOT(0, 1))),
    "sparse": amps(Program(X(3), H(7))),
    "par": amps(par, {"theta": [0.4, 1.3]}),
    "par2": amps(par, {"theta": [2.0, -0.5]}),
}
print(json.dumps(out))
"""


def _rx(t: float) -> np.ndarray:
    return np.array([[math.cos(t / 2), -1j * math.sin(t / 2)], [-1j * math.sin(t / 2), math.cos(t / 2)]])


def _ry(t: float) -> np.ndarray:
    return np.array([[math.cos(t / 2), -math.sin(t / 2)], [math.sin(t / 2), math.cos(t / 2)]])


def _parametric(a: float, b: float) -> np.ndarray:
    """RX(a) 0, RY(b) 1, CNOT 0 1 with amplitude index bit k = qubit k."""
    state = np.kron(_ry(b), _rx(a)) @ np.array([1, 0, 0, 0], dtype=complex)
    cnot = np.eye(4)[[0, 3, 2, 1]]  # control qubit 0 (bit 0) flips qubit 1 (bit 1): swaps |01> and |11>
    return cnot @ state


def test_wavefunction_amplitudes_equal_the_exact_values(qvm_env):
    out = pyquil(WAVEFUNCTIONS, qvm_env)
    s = 1 / math.sqrt(2)
    assert np.allclose(_complex(out["bell"][0]), [s, 0, 0, s])
    # Qubits 3 and 7 are compressed to 0 and 1; pyquil's outcome strings put the highest qubit first.
    assert np.allclose(_complex(out["sparse"][0]), [0, s, 0, s])
    assert out["sparse"][1] == pytest.approx({"00": 0.0, "01": 0.5, "10": 0.0, "11": 0.5})
    assert np.allclose(_complex(out["par"][0]), _parametric(0.4, 1.3))
    assert np.allclose(_complex(out["par2"][0]), _parametric(2.0, -0.5))


EXPECTATIONS = """
prep = Program(RY(0.9, 0), H(1), CNOT(1, 2))
wfs = WavefunctionSimulator()
total = wfs.expectation(prep, 0.5 * sZ(0) + 2 * sX(0) + sZ(1) * sZ(2) - 1.5 * sX(1) * sX(2))
terms = wfs.expectation(prep, [sZ(0), sX(0), sZ(1)])
print(json.dumps({"total": float(np.real(total)), "terms": [float(np.real(t)) for t in terms]}))
"""


def test_expectation_of_a_pauli_sum_equals_the_exact_value(qvm_env):
    out = pyquil(EXPECTATIONS, qvm_env)
    assert out["total"] == pytest.approx(0.5 * math.cos(0.9) + 2 * math.sin(0.9) + 1 - 1.5, abs=1e-9)
    assert out["terms"] == pytest.approx([math.cos(0.9), math.sin(0.9), 0.0], abs=1e-9)


RUN_AND_MEASURE = """
bits = WavefunctionSimulator().run_and_measure(Program(X(0), H(1), CNOT(1, 2)), trials=1000)
print(json.dumps(bits.tolist()))
"""


def test_run_and_measure_samples_the_programs_qubits(qvm_env):
    rows = pyquil(RUN_AND_MEASURE, qvm_env)
    assert len(rows) == 1000 and all(len(r) == 3 and r[0] == 1 and r[1] == r[2] for r in rows)
    assert 400 < sum(r[1] for r in rows) < 600


NATIVE_BELL = """
def bell(shots):
    p = Program("RZ(pi/2) 0", "RX(pi/2) 0", "RZ(pi/2) 0", "RZ(pi/2) 1", "RX(pi/2) 1", "RZ(pi/2) 1",
                "CZ 0 1", "RZ(pi/2) 1", "RX(pi/2) 1", "RZ(pi/2) 1")
    ro = p.declare("ro", "BIT", 2)
    p += MEASURE(0, ro[0])
    p += MEASURE(1, ro[1])
    return p.wrap_in_numshots_loop(shots)

def flips(shots):
    p = Program(RX(np.pi, 0))
    ro = p.declare("ro", "BIT", 2)
    p += MEASURE(0, ro[0])
    p += MEASURE(1, ro[1])
    return p.wrap_in_numshots_loop(shots)

out = {}
for name in ("9q-square-qvm", "2q-noisy-qvm", "9q-square-noisy-qvm"):
    qc = get_qc(name)
    qc.qam.random_seed = 2026  # pyquil then sends rng-seed: the counts below are reproducible
    out[name] = {"bell": qc.run(bell(2000)).get_register_map()["ro"].tolist(),
                 "flips": qc.run(flips(2000)).get_register_map()["ro"].tolist()}
print(json.dumps(out))
"""


def test_qvm_backed_computers_run_native_programs_and_the_noisy_ones_show_noise(qvm_env):
    out = pyquil(NATIVE_BELL, qvm_env)
    clean = out["9q-square-qvm"]
    assert all(a == b for a, b in clean["bell"]) and 850 < sum(a for a, _ in clean["bell"]) < 1150
    assert clean["flips"] == [[1, 0]] * 2000
    for name in ("2q-noisy-qvm", "9q-square-noisy-qvm"):
        bell, flipped = np.array(out[name]["bell"]), np.array(out[name]["flips"])
        # pyquil's model: readout p(0|0) = 0.975, p(1|1) = 0.911, plus T1/T2 decay during gates.
        zero_ones = flipped[:, 1].mean()  # qubit 1 stays |0>: 2.5% read 1
        one_ones = flipped[:, 0].mean()  # qubit 0 is |1>: about 9% read 0
        assert 0.01 < zero_ones < 0.045, name
        assert 0.86 < one_ones < 0.94, name
        disagree = (bell[:, 0] != bell[:, 1]).mean()
        assert 0.05 < disagree < 0.3, name  # a noiseless Bell pair never disagrees
        assert 0.4 < bell[:, 0].mean() < 0.6, name


PAULI_NOISE = """
def run(seed):
    qvm = QVM(gate_noise=(0.1, 0.0, 0.0), measurement_noise=(0.0, 0.05, 0.0), random_seed=seed)
    p = Program(X(0), X(1), CNOT(0, 2))
    ro = p.declare("ro", "BIT", 3)
    for q in range(3):
        p += MEASURE(q, ro[q])
    return qvm.get_result(qvm.execute(p.wrap_in_numshots_loop(400))).get_register_map()["ro"].tolist()
print(json.dumps({"a": run(42), "b": run(42), "c": run(7)}))
"""


def test_seeded_noisy_qvm_repeats_its_bits(qvm_env):
    out = pyquil(PAULI_NOISE, qvm_env)
    a, b, c = (np.array(out[k]) for k in "abc")
    assert a.shape == (400, 3) and (a == b).all() and not (a == c).all()
    assert 0.05 < 1 - a[:, 1].mean() < 0.3  # X errors after X and Y errors before MEASURE flip qubit 1


ERRORS = """
from qcs_sdk.qvm import QVMError
out = {}
try:
    WavefunctionSimulator().wavefunction(Program("H 0", "FOO 0 1"))
except Exception as exc:
    out["wavefunction"] = [type(exc).__name__, str(exc), isinstance(exc, QVMError)]
try:
    get_qc("9q-square-qvm").run(Program("DECLARE ro BIT[1]", "RX(pi) 0", "MEASURE 0 ro[1]"))
except Exception as exc:
    out["run"] = [type(exc).__name__, str(exc), isinstance(exc, QVMError)]
print(json.dumps(out))
"""


def test_a_bad_program_gives_qvm_error_with_the_servers_text(qvm_env):
    out = pyquil(ERRORS, qvm_env)
    _name, text, is_qvm_error = out["wavefunction"]
    assert is_qvm_error and "QVM reported a problem" in text
    assert "`FOO 0 1`: gate FOO is not supported" in text
    _name, text, is_qvm_error = out["run"]
    assert is_qvm_error and "ro[1] is out of range" in text
