"""Rigetti's real clients against openqcs's quilc: pyquil 4.22's default ``qc.compile`` on
Aspen-M-3 (then run on the simulated processor), and qcs-sdk-python 0.31's quilc functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.clients import run_client, write_qcs_config
from tests.support.databases import database
from tests.support.factories import funded_user, make_reference_processor
from tests.support.server import forest_env, live_server

pytestmark = pytest.mark.clients

REFERENCE = Path("/work/shared/reference")
if not REFERENCE.exists():
    REFERENCE = Path(__file__).resolve().parents[3] / "shared/reference"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    directory = tmp_path_factory.mktemp("quilc-clients")
    with database("sqlite", str(directory)) as url, live_server(url, str(directory), **forest_env()) as srv:
        make_reference_processor(srv.ctx, processor_id="Aspen-M-3")
        user = funded_user(srv.ctx)  # jobs are refused without credit
        env = write_qcs_config(directory / "qcs", api_url=srv.base_url, grpc_url=srv.settings.grpc_url,
                               issuer=srv.settings.issuer, access_token=user.token,
                               quilc_url=srv.settings.quilc_url, qvm_url=srv.settings.qvm_url)
        yield srv, env


PYQUIL = """
import json, math
from pyquil import get_qc, Program
from pyquil.gates import H, CNOT, MEASURE

qc = get_qc("Aspen-M-3", compiler_timeout=60.0, execution_timeout=60.0)
out = {"version": qc.compiler.get_version_info()}

p = Program(H(0), CNOT(0, 1))
ro = p.declare("ro", "BIT", 2)
p += MEASURE(0, ro[0])
p += MEASURE(1, ro[1])
p.wrap_in_numshots_loop(200)
exe = qc.compile(p)
out["bell_native"] = qc.compiler.quil_to_native_quil(p).out()
out["bell"] = qc.run(exe).get_register_map()["ro"].tolist()

proto = qc.compiler.quil_to_native_quil(p, protoquil=True)
meta = proto.native_quil_metadata
out["meta"] = {"final_rewiring": list(meta.final_rewiring), "gate_depth": meta.gate_depth,
               "program_fidelity": meta.program_fidelity}

param = Program("DECLARE theta REAL[1]", "DECLARE ro BIT[1]", "RX(2*theta[0]) 0", "MEASURE 0 ro[0]")
param.wrap_in_numshots_loop(20)
exe = qc.compile(param)
out["param_native"] = qc.compiler.quil_to_native_quil(param).out()
responses = qc.qam.execute_with_memory_map_batch(exe, [{"theta": [0.0]}, {"theta": [math.pi / 2]}])
out["param"] = [qc.qam.get_result(r).get_register_map()["ro"].tolist() for r in responses]

for name, bad in (("unknown", Program("H 0", "FOO 0 1")),
                  ("too_big", Program(*[f"H {q}" for q in range(90)]))):
    try:
        qc.compile(bad)
        out[name] = "accepted"
    except Exception as exc:
        out[name] = type(exc).__name__ + ": " + str(exc)
print(json.dumps(out))
"""


def test_pyquil_default_compile_runs_bell_and_parametric_programs(stack):
    _srv, env = stack
    out = run_client("pyquil", PYQUIL, env, timeout=300)
    assert out["version"]["quilc"] == "1.27.0"
    native = out["bell_native"]
    assert "H " not in native and "CNOT" not in native and ("CZ" in native or "XY" in native)
    bell = out["bell"]
    assert len(bell) == 200 and all(a == b for a, b in bell) and {a for a, _ in bell} == {0, 1}
    assert len(out["meta"]["final_rewiring"]) == 2 and 0 < out["meta"]["program_fidelity"] < 1
    assert "theta[0]" in out["param_native"]  # compiled once, still parametric
    zero, one = out["param"]
    assert zero == [[0]] * 20 and one == [[1]] * 20
    assert "QuilcError" in out["unknown"] and "unknown gate FOO" in out["unknown"]
    assert "QuilcError" in out["too_big"] and "uses 90 qubits" in out["too_big"]


SDK = """
import json
from pathlib import Path
from qcs_sdk.compiler.quilc import (CompilerOpts, QuilcClient, TargetDevice, compile_program,
                                    get_version_info, QuilcError)

client = QuilcClient.new_rpcq("{url}")
device = TargetDevice.from_json(Path("{device}").read_text())
out = {{"version": get_version_info(client)}}
result = compile_program("DECLARE ro BIT[2]\\nH 0\\nCNOT 0 2\\nMEASURE 0 ro[0]\\nMEASURE 2 ro[1]\\n", device, client,
                         CompilerOpts(timeout=30, protoquil=True))
out["program"] = result.program
out["rewiring"] = list(result.native_quil_metadata.final_rewiring)
try:
    compile_program("H 0\\nRX(1 0\\n", device, client, CompilerOpts(timeout=30))
    out["bad"] = "accepted"
except QuilcError as exc:
    out["bad"] = str(exc)
print(json.dumps(out))
"""


def test_sdk_compile_program_and_version(stack):
    srv, _ = stack
    script = SDK.format(url=srv.settings.quilc_url, device=REFERENCE / "forest-target-device-aspen-m3.json")
    out = run_client("sdk", script, {}, timeout=120)
    assert out["version"] == "1.27.0"
    lines = [line for line in out["program"].splitlines() if line]
    assert lines[0] == "DECLARE ro BIT[2]"
    assert all(line.split("(")[0].split()[0] in {"DECLARE", "RX", "RZ", "CZ", "XY", "CPHASE", "MEASURE"} for line in lines)
    assert len(out["rewiring"]) == 3
    assert "Received error message from server" in out["bad"] and "line 2" in out["bad"]


GENERIC = """
import json, math
from pyquil import get_qc, Program
from pyquil.api import BenchmarkConnection
from pyquil.gates import H, CNOT, MEASURE, PHASE
from pyquil.paulis import sX

# The pyqvm flavour simulates in-process, so only quilc is needed; pyquil then runs what we emit.
qc = get_qc("9q-square-pyqvm", compiler_timeout=60.0)
out = {"version": qc.compiler.get_version_info()}
p = Program(H(0), CNOT(0, 1))
ro = p.declare("ro", "BIT", 2)
p += MEASURE(0, ro[0])
p += MEASURE(1, ro[1])
exe = qc.compile(p.wrap_in_numshots_loop(60))
out["native"] = exe.out()
out["bell"] = qc.run(exe).get_register_map()["ro"].tolist()
qasm = 'OPENQASM 2.0;\\ninclude "qelib1.inc";\\nqreg q[3];\\ncreg ro[2];\\nh q[0];\\ncx q[0],q[2];\\nmeasure q[0] -> ro[0];\\nmeasure q[2] -> ro[1];\\n'
out["qasm"] = qc.compiler.transpile_qasm_2(qasm).out()
bench = BenchmarkConnection(timeout=30)
out["conjugated"] = str(bench.apply_clifford_to_pauli(Program("H 0"), sX(0)))
out["rb"] = [str(c) for c in bench.generate_rb_sequence(3, [PHASE(math.pi / 2, 0), H(0)], seed=52)]
print(json.dumps(out))
"""


def test_pyquil_generic_lattice_qasm_and_benchmark_connection(stack):
    _, env = stack
    out = run_client("pyquil", GENERIC, env, timeout=300)
    assert out["version"]["quilc"] == "1.27.0"
    assert "CNOT" not in out["native"] and "H 0" not in out["native"]
    bell = out["bell"]
    assert len(bell) == 60 and all(a == b for a, b in bell) and {a for a, _ in bell} == {0, 1}
    assert out["qasm"].startswith("DECLARE ro BIT[2]") and "MEASURE" in out["qasm"]
    assert out["conjugated"].replace(" ", "") in ("(1+0j)*Z0", "Z0")
    assert len(out["rb"]) == 3
