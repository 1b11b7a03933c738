"""The plugin in a user's own virtualenv with pyquil 4.22 and qcs-api-client
(``tests/testing/venv.py``): their test files, run by that environment's pytest, with the server
on this suite's interpreter (``openqcs_python``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.testing.venv import plugin_python

pytestmark = pytest.mark.clients

# The user's pytest.ini: where the server's Python is, and a simulation seed.
INI = f"[pytest]\nopenqcs_python = {sys.executable}\nopenqcs_seed = ci-seed-1\n"

USER_TESTS = '''
from pyquil import get_qc
from qcs_api_client.api.authentication import auth_get_user
from qcs_api_client.api.quantum_processors import list_quantum_processors
from qcs_api_client.client import build_sync_client


def processor_ids():
    with build_sync_client() as client:
        return {p.id for p in list_quantum_processors.sync(client=client).parsed.quantum_processors}


def test_get_qc_reads_the_calibrated_isa(openqcs):
    isa = get_qc("Aspen-M-3").to_compiler_isa()
    assert len(isa.qubits) == 80 and "0-1" in isa.edges


def test_api_client_sees_a_processor_the_test_made(openqcs):
    openqcs.add_processor("Lab-2x2", rows=2, cols=2)
    assert "Lab-2x2" in processor_ids()


def test_the_next_test_starts_from_the_demo_seed(openqcs):
    assert processor_ids() == {"Aspen-M-3", "Aspen-9", "Aspen-8", "Ankaa-9Q-sim", "Ankaa-9Q-noiseless"}


def test_a_fault_reaches_the_api_client(openqcs):
    openqcs.fault("/v1/quantumProcessors", status=503, message="fridge warming up")
    with build_sync_client() as client:
        answer = list_quantum_processors.sync(client=client)
    assert answer.status_code == 503 and answer.parsed.message == "fridge warming up"


def test_the_client_acts_as_the_user_the_test_chose(openqcs):
    bob = openqcs.add_user("bob@example.test", credit_cents=100)
    openqcs.use(bob)
    with build_sync_client() as client:
        assert auth_get_user.sync(client=client).parsed.profile.email == "bob@example.test"
'''

RUN_TESTS = '''
from pyquil import Program, get_qc


def test_bell_runs_on_the_noiseless_processor(openqcs):
    qc = get_qc("Ankaa-9Q-noiseless")
    bell = Program("DECLARE ro BIT[2]", "H 0", "CNOT 0 1", "MEASURE 0 ro[0]", "MEASURE 1 ro[1]")
    ro = qc.run(qc.compile(bell.wrap_in_numshots_loop(100))  # quilc beside the server compiles it
                ).get_register_map()["ro"].tolist()
    assert len(ro) == 100 and all(a == b for a, b in ro) and {a for a, _ in ro} == {0, 1}


def test_a_seeded_server_gives_the_same_noisy_bits_twice(openqcs):
    qc = get_qc("Ankaa-9Q-sim")  # calibrated noise: shots differ from each other
    ghz = Program("DECLARE ro BIT[3]", "H 0", "CNOT 0 1", "CNOT 1 2", *[f"MEASURE {q} ro[{q}]" for q in range(3)])
    exe = qc.compile(ghz.wrap_in_numshots_loop(300))
    first, second = (qc.run(exe).get_register_map()["ro"].tolist() for _ in range(2))
    assert first == second
    assert any(len(set(shot)) > 1 for shot in first)  # some shots show the noise


def test_pyquil_refreshes_its_token_after_a_day_on_the_test_clock(openqcs):
    def refresh_tokens():
        return len(openqcs.snapshot()["tables"]["refresh_tokens"]["rows"])

    issued = refresh_tokens()
    openqcs.advance(25 * 3600)  # the profile's access token (24 h) has expired
    qc = get_qc("Ankaa-9Q-noiseless")
    flip = Program("DECLARE ro BIT[1]", "RX(pi) 0", "MEASURE 0 ro[0]").wrap_in_numshots_loop(10)
    ro = qc.run(qc.compile(flip, to_native_gates=False, optimize=False)).get_register_map()["ro"].tolist()
    assert ro == [[1]] * 10
    assert refresh_tokens() > issued  # the client went to the issuer for a new access token


def test_an_offline_processor_is_not_live_for_the_api_client(openqcs):
    openqcs.set_processor_status("Ankaa-9Q-noiseless", "offline")
    from qcs_api_client.api.quantum_processors import get_quantum_processor_accessors
    from qcs_api_client.client import build_sync_client

    with build_sync_client() as client:
        accessors = get_quantum_processor_accessors.sync(client=client, quantum_processor_id="Ankaa-9Q-noiseless")
    assert [a.live for a in accessors.parsed.accessors] == [False]
'''


def run_user_tests(tmp_path, files: dict[str, str]) -> subprocess.CompletedProcess:
    python = plugin_python()
    (tmp_path / "pytest.ini").write_text(INI)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)


@pytest.mark.timeout(1200)
def test_pyquil_and_qcs_api_client_tests_pass_on_the_fixture(tmp_path):
    done = run_user_tests(tmp_path, {"test_user.py": USER_TESTS})
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "5 passed" in done.stdout


@pytest.mark.timeout(1200)
def test_pyquil_runs_a_program_on_the_fixture(tmp_path):
    done = run_user_tests(tmp_path, {"test_run.py": RUN_TESTS})
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "4 passed" in done.stdout
