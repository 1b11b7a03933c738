"""QVM benchmark: ``multishot`` shots/s of openqcs's QVM service beside pyquil's in-process
PyQVM, on the same programs, in one run.

    python -m bench qvm [-- --repeat 5 --shots 10000 --pyqvm-shots 100]

Programs (all qubits measured): Bell, GHZ-8, and a random 10-qubit circuit (8 layers of RX/RZ
with random angles and CZ on alternating neighbours). Columns:
- ``http``: a raw POST to our QVM (its own granian process, started here on a free port);
- ``pyquil→qvm``: ``get_qc("Nq-qvm").run(p)`` in pyquil's venv against that QVM (client included);
- ``pyqvm``: ``get_qc("Nq-pyqvm").run(p)``, pyquil's pure-Python simulator, fewer shots (it is slow).
Prints medians of shots/s and the ratios; writes bench/results/qvm.json.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from openqcs.config import load_settings  # noqa: E402
from openqcs.forest.qvm import server  # noqa: E402
from tests.support.clients import client_python  # noqa: E402
from tests.support.server import free_port  # noqa: E402


def programs() -> dict[str, tuple[int, str]]:
    """name -> (qubits, Quil body without DECLARE/MEASURE)."""
    rng = np.random.default_rng(2026)
    random10 = []
    for layer in range(8):
        for q in range(10):
            random10 += [f"RX({rng.uniform(0, 2 * math.pi):.6f}) {q}", f"RZ({rng.uniform(0, 2 * math.pi):.6f}) {q}"]
        random10 += [f"CZ {q} {q + 1}" for q in range(layer % 2, 9, 2)]
    return {
        "bell": (2, "H 0\nCNOT 0 1"),
        "ghz8": (8, "\n".join(["H 0"] + [f"CNOT {q} {q + 1}" for q in range(7)])),
        "random10": (10, "\n".join(random10)),
    }


def full_program(qubits: int, body: str) -> str:
    measures = "\n".join(f"MEASURE {q} ro[{q}]" for q in range(qubits))
    return f"DECLARE ro BIT[{qubits}]\n{body}\n{measures}\n"


def time_http(url: str, quil: str, shots: int, repeat: int) -> float:
    request = {"type": "multishot", "compiled-quil": quil, "addresses": {"ro": True}, "trials": shots}
    times = []
    with httpx.Client(timeout=600) as client:
        client.post(url, json=request).raise_for_status()  # warm: parse cache, engine import
        for _ in range(repeat):
            start = time.perf_counter()
            reply = client.post(url, json=request)
            times.append(time.perf_counter() - start)
            reply.raise_for_status()
            assert len(reply.json()["ro"]) == shots
    return shots / statistics.median(times)


PYQUIL_SCRIPT = """
import json, statistics, sys, time, warnings
warnings.simplefilter("ignore")
from pyquil import Program, get_qc
name, shots, repeat, quil = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.stdin.read()
qc = get_qc(name)
program = Program(quil).wrap_in_numshots_loop(shots)
qc.run(program)  # warm
times = []
for _ in range(repeat):
    start = time.perf_counter()
    bits = qc.run(program).get_register_map()["ro"]
    times.append(time.perf_counter() - start)
    assert bits.shape[0] == shots
print(json.dumps(shots / statistics.median(times)))
"""


def time_pyquil(name: str, quil: str, shots: int, repeat: int, qvm_url: str) -> float:
    env = {"QCS_SETTINGS_APPLICATIONS_QVM_URL": qvm_url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([str(client_python("pyquil")), "-c", PYQUIL_SCRIPT, name, str(shots), str(repeat)],
                          input=quil, capture_output=True, text=True, env=env, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"pyquil run of {name} failed:\n{done.stderr[-3000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    head = (f"{'program':<10} {'http shots/s':>13} {'pyquil→qvm':>12} {'pyqvm':>10} {'http/pyqvm':>11} "
            f"{'pyquil→qvm/pyqvm':>17}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['program']:<10} {r['http']:>13,.0f} {r['pyquil_qvm']:>12,.0f} {r['pyqvm']:>10,.1f} "
                     f"{r['http'] / r['pyqvm']:>10,.0f}× {r['pyquil_qvm'] / r['pyqvm']:>16,.0f}×")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--shots", type=int, default=10000)
    parser.add_argument("--pyqvm-shots", type=int, default=100)
    args = parser.parse_args(argv)
    settings = load_settings({"OPENQCS_QVM_PORT": str(free_port()), "OPENQCS_HOST": "127.0.0.1"})
    stop = server.start(settings)
    rows = []
    try:
        for name, (qubits, body) in programs().items():
            quil = full_program(qubits, body)
            rows.append({
                "program": name, "qubits": qubits, "shots": args.shots, "pyqvm_shots": args.pyqvm_shots,
                "http": time_http(settings.qvm_url, quil, args.shots, args.repeat),
                "pyquil_qvm": time_pyquil(f"{qubits}q-qvm", quil, args.shots, args.repeat, settings.qvm_url),
                "pyqvm": time_pyquil(f"{qubits}q-pyqvm", quil, args.pyqvm_shots, args.repeat, settings.qvm_url),
            })
    finally:
        stop()
    print(table(rows))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "qvm.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
