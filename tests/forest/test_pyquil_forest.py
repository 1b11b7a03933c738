"""The whole local Rigetti stack through pyquil 4.22, unmodified: a demo-seeded `openqcs serve`
(QCS + quilc + QVM), a profile written by `openqcs client-config`, and the programs a pyquil
tutorial writes — default `qc.compile`, QVM names, the wavefunction simulator, noisy QVMs,
experiments and quilc's benchmarking calls."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clients import run_client
from tests.support.databases import database
from tests.support.server import forest_env, live_server

pytestmark = pytest.mark.clients

OPENQCS = str(Path(sys.executable).with_name("openqcs"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A demo-seeded server with quilc and the QVM, and the env of a profile client-config wrote."""
    directory = str(tmp_path_factory.mktemp("forest-stack"))
    with database("sqlite", directory) as url, live_server(url, directory, **forest_env()) as srv:
        env = {**os.environ, **{k: v for k, v in srv.env.items() if k.startswith("OPENQCS_")}}
        subprocess.run([OPENQCS, "seed", "--demo"], env=env, check=True, capture_output=True)
        qcs = Path(directory, "qcs")
        subprocess.run([OPENQCS, "client-config", "--user", "demo@openqcs.local", "--dir", str(qcs)],
                       env=env, check=True, capture_output=True)
        yield srv, {"QCS_SETTINGS_FILE_PATH": str(qcs / "settings.toml"),
                    "QCS_SECRETS_FILE_PATH": str(qcs / "secrets.toml")}


TUTORIAL = """
import json
from pyquil import get_qc, Program
from pyquil.gates import H, CNOT, MEASURE

out = {}
for name in ("Aspen-M-3", "9q-square-qvm"):
    qc = get_qc(name)
    p = Program(H(0), CNOT(0, 1))
    ro = p.declare("ro", "BIT", 2)
    p += MEASURE(0, ro[0])
    p += MEASURE(1, ro[1])
    exe = qc.compile(p.wrap_in_numshots_loop(1000))
    out[name] = qc.run(exe).get_register_map()["ro"].tolist()
print(json.dumps(out))
"""


def test_tutorial_program_runs_with_default_compile(stack):
    _srv, env = stack
    out = run_client("pyquil", TUTORIAL, env, timeout=240)
    qvm = out["9q-square-qvm"]
    assert len(qvm) == 1000 and all(a == b for a, b in qvm)
    assert 350 < sum(a for a, _ in qvm) < 650
    # Aspen-M-3 is noisy: mostly correlated, both outcomes present, some disagreement.
    aspen = out["Aspen-M-3"]
    agree = sum(a == b for a, b in aspen) / len(aspen)
    assert len(aspen) == 1000 and 0.6 < agree < 0.995
    assert 250 < sum(a for a, b in aspen if a == b) < 750


PARAMETRIC = """
import json, math
from pyquil import get_qc, Program

qc = get_qc("9q-square-qvm")
p = Program("DECLARE theta REAL[1]", "DECLARE ro BIT[1]", "RX(theta) 0", "MEASURE 0 ro[0]").wrap_in_numshots_loop(200)
exe = qc.compile(p)
text = exe.out()
out = {"parametric": "theta" in text.split("DECLARE ro")[-1]}
for value in (0.0, math.pi, math.pi / 2):
    bits = qc.run(exe, memory_map={"theta": [value]}).get_register_map()["ro"]
    out[str(value)] = float(bits.mean())
print(json.dumps(out))
"""


def test_parametric_program_compiles_once_and_runs_with_several_memory_maps(stack):
    _, env = stack
    out = run_client("pyquil", PARAMETRIC, env, timeout=180)
    assert out["parametric"] is True
    assert out["0.0"] == 0.0 and out[str(__import__("math").pi)] == 1.0
    assert 0.3 < out[str(__import__("math").pi / 2)] < 0.7


WAVEFUNCTION = """
import json, math
from pyquil import Program
from pyquil.api import WavefunctionSimulator
from pyquil.paulis import sZ, sX

wfs = WavefunctionSimulator()
wf = wfs.wavefunction(Program("H 0", "CNOT 0 1", "RY(0.5) 2"))
exp = wfs.expectation(Program("RY(0.7) 0"), [sZ(0), sX(0), 2.0 * sZ(0) * sZ(1)])
print(json.dumps({"amps": [[a.real, a.imag] for a in wf.amplitudes], "exp": [float(x.real) for x in exp]}))
"""


def test_wavefunction_and_expectation_are_exact(stack):
    import numpy as np

    _, env = stack
    out = run_client("pyquil", WAVEFUNCTION, env)
    amps = np.array([complex(re, im) for re, im in out["amps"]])
    c, s = np.cos(0.25), np.sin(0.25)
    bell = np.zeros(4)
    bell[0] = bell[3] = 1 / np.sqrt(2)
    expected = np.kron([c, s], bell)  # qubit 2 is the most significant bit in pyquil's ordering
    assert np.allclose(amps, expected, atol=1e-9)
    assert np.allclose(out["exp"], [np.cos(0.7), np.sin(0.7), 2 * np.cos(0.7)], atol=1e-9)


NOISY = """
import json
from pyquil import get_qc, Program

qc = get_qc("9q-square-noisy-qvm")
p = Program("DECLARE ro BIT[2]", "X 0", "X 1", "MEASURE 0 ro[0]", "MEASURE 1 ro[1]").wrap_in_numshots_loop(1000)
bits = qc.run(qc.compile(p)).get_register_map()["ro"]
print(json.dumps({"ones": float(bits.mean())}))
"""


def test_noisy_qvm_shows_the_noise(stack):
    _, env = stack
    out = run_client("pyquil", NOISY, env, timeout=180)
    # pyquil's default noise model: readout fidelity ~0.95 and gate decoherence, so not all ones.
    assert 0.75 < out["ones"] < 0.99


EXPERIMENT = """
import json, warnings
warnings.simplefilter("ignore")
from pyquil import get_qc, Program
from pyquil.experiment import Experiment, ExperimentSetting, zeros_state
from pyquil.paulis import sZ, sX

qc = get_qc("2q-qvm")
settings = [ExperimentSetting(zeros_state([0, 1]), sZ(0)), ExperimentSetting(zeros_state([0, 1]), sX(1))]
exp = Experiment(settings, Program("X 0", "H 1").wrap_in_numshots_loop(400))
results = qc.run_experiment(exp)
calibration = qc.calibrate(exp)
print(json.dumps({"run": [r.expectation for r in results], "calibration": [r.expectation for r in calibration]}))
"""


def test_run_experiment_and_calibrate(stack):
    _, env = stack
    out = run_client("pyquil", EXPERIMENT, env, timeout=240)
    assert out["run"] == [-1.0, 1.0]
    assert out["calibration"] == [1.0, 1.0]  # a noiseless QVM: no readout error to scale


BENCHMARKING = """
import json
from pyquil import Program
from pyquil.api import BenchmarkConnection
from pyquil.gates import H, CNOT, PHASE
from pyquil.paulis import sX, sZ
import numpy as np

bm = BenchmarkConnection()
conj = bm.apply_clifford_to_pauli(Program(H(0)), sX(0))
conj2 = bm.apply_clifford_to_pauli(Program(H(0), CNOT(0, 1)), sZ(1) * sX(0))
seq = bm.generate_rb_sequence(depth=5, gateset=[PHASE(np.pi / 2, 0), H(0)], seed=52)
again = bm.generate_rb_sequence(depth=5, gateset=[PHASE(np.pi / 2, 0), H(0)], seed=52)
print(json.dumps({"conj": str(conj), "conj2": str(conj2), "depth": len(seq),
                  "same": [p.out() for p in seq] == [p.out() for p in again]}))
"""


def test_benchmark_connection_conjugates_and_generates_rb(stack):
    _, env = stack
    out = run_client("pyquil", BENCHMARKING, env)
    assert out["conj"] == "(1+0j)*Z0"
    # C = CNOT(0,1)·H(0): X0 -> Z0 and Z1 -> Z0 Z1, so X0 Z1 -> Z1.
    assert out["conj2"] == "(1+0j)*Z1"
    assert out["depth"] == 5 and out["same"] is True


FAILURES = """
import json
from pyquil import get_qc, Program

qc = get_qc("9q-square-qvm")
out = {}
too_many = Program(*[f"H {q}" for q in range(10)])  # 10 qubits on a 9-qubit device
for name, program in (("too_many", too_many), ("unknown", Program("FOO 0"))):
    try:
        qc.compile(program)
        out[name] = "compiled"
    except Exception as exc:
        out[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


def test_programs_the_device_cannot_run_fail_fast_with_a_clear_error(stack):
    _, env = stack
    out = run_client("pyquil", FAILURES, env, timeout=60)
    assert "QuilcError" in out["too_many"] and "qubit" in out["too_many"].lower()
    assert "QuilcError" in out["unknown"] and "FOO" in out["unknown"]


SDK = """
import json
from qcs_sdk.compiler.quilc import compile_program, get_version_info, QuilcClient, TargetDevice, CompilerOpts

url = {quilc_url!r}
client = QuilcClient.new_rpcq(url)
device = TargetDevice.from_json(open({device!r}).read())
result = compile_program("DECLARE ro BIT[2]\\nH 0\\nCNOT 0 1\\nMEASURE 0 ro[0]\\nMEASURE 1 ro[1]\\n", device, client,
                         options=CompilerOpts(protoquil=True))
print(json.dumps({{"version": get_version_info(client), "program": result.program,
                  "rewiring": list(result.native_quil_metadata.final_rewiring)}}))
"""


def test_qcs_sdk_compiles_with_quilc(stack):
    srv, env = stack
    device = Path(__file__).with_name("data") / "forest-target-device-2q-qvm.json"  # as pyquil sends it
    out = run_client("sdk", SDK.format(quilc_url=srv.settings.quilc_url, device=str(device)), env)
    assert out["version"].count(".") == 2
    natives = {line.split("(")[0].split(" ")[0] for line in out["program"].splitlines() if line.strip()}
    assert natives <= {"DECLARE", "RX", "RZ", "CZ", "XY", "MEASURE", "PRAGMA", "HALT"}
    assert "CZ" in natives or "XY" in natives
    assert sorted(out["rewiring"])[:2] == [0, 1]
