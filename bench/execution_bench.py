"""Execution benchmark: end-to-end ``qc.run`` through openqcs (pyquil 4.22 → gRPC translate →
controller → job queue → worker → engine) beside the bare engine (``run_program``) on the same
circuit, and shots/s against pyquil's own PyQVM, all in one run.

    python bench/execution_bench.py [--repeat 5]

Starts its own ``openqcs serve`` (SQLite, temp dir) with a noiseless Aspen-M-3 and runs the
client side in the pyquil virtualenv (tests/support/clients.py builds it on first use).
Prints a table; writes bench/results/execution.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from openqcs.processors.seed import published_isa  # noqa: E402
from openqcs.processors.service import import_isa  # noqa: E402
from openqcs.simulator.simulate import run_program  # noqa: E402
from tests.support.clients import run_client, write_qcs_config  # noqa: E402
from tests.support.databases import database  # noqa: E402
from tests.support.factories import fund, make_user  # noqa: E402
from tests.support.server import live_server  # noqa: E402

PROCESSOR = "Bench-Aspen-M-3"
SHOTS = 1000


def load_isa() -> dict:
    return published_isa("Aspen-M-3")


def ghz(qubits: list[int]) -> str:
    lines = [f"DECLARE ro BIT[{len(qubits)}]", f"H {qubits[0]}"]
    lines += [f"CNOT {a} {b}" for a, b in pairwise(qubits)]
    lines += [f"MEASURE {q} ro[{i}]" for i, q in enumerate(qubits)]
    return "\n".join(lines) + "\n"


# Chains of Aspen-M-3 CZ edges (7-0, 0-1, … 5-6 run round one octagon).
CIRCUITS = {
    "bell (2q)": [0, 1],
    "ghz (8q)": [7, 0, 1, 2, 3, 4, 5, 6],
}

CLIENT = """
import json, statistics, time, warnings
warnings.filterwarnings("ignore")
from pyquil import Program, get_qc
from pyquil.pyqvm import PyQVM

circuits, shots, repeat, processor = {circuits!r}, {shots}, {repeat}, {processor!r}
qc = get_qc(processor, execution_timeout=60.0)
out = {{}}
for name, (program, relabelled, n) in circuits.items():
    exe = qc.compile(Program(program).wrap_in_numshots_loop(shots), to_native_gates=False, optimize=False)
    qc.run(exe)  # warm-up: connections, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        qc.run(exe).get_register_map()
        times.append(time.perf_counter() - start)
    qam = PyQVM(n_qubits=n)
    pyqvm_shots = min(shots, 200)
    start = time.perf_counter()
    qam.get_result(qam.execute(Program(relabelled).wrap_in_numshots_loop(pyqvm_shots))).get_register_map()
    out[name] = {{"e2e_s": statistics.median(times), "pyqvm_s": time.perf_counter() - start,
                 "pyqvm_shots": pyqvm_shots}}
print(json.dumps(out))
"""


def engine_times(isa: dict, program: str, repeat: int) -> float:
    run_program(program, isa, SHOTS, {}, noiseless=True)  # warm-up (parse cache, device model)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run_program(program, isa, SHOTS, {}, noiseless=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    isa = load_isa()
    programs = {name: ghz(qubits) for name, qubits in CIRCUITS.items()}
    # PyQVM needs qubits 0..n-1: its copy is the same circuit, relabelled.
    client_circuits = {name: (programs[name], ghz(list(range(len(q)))), len(q)) for name, q in CIRCUITS.items()}
    with tempfile.TemporaryDirectory(prefix="openqcs-bench-") as directory, \
            database("sqlite", directory) as url, live_server(url, directory, OPENQCS_LOG_LEVEL="ERROR") as server:
        with server.ctx.db.session(write=True) as session:
            import_isa(session, isa, now=server.ctx.clock.now(), processor_id=PROCESSOR, noiseless=True)
        user = make_user(server.ctx)
        fund(server.ctx, "user", user.idp_id, 10_000_000)  # jobs are refused without credit
        env = write_qcs_config(Path(directory) / "qcs", api_url=server.base_url, grpc_url=server.settings.grpc_url,
                               issuer=server.settings.issuer, access_token=user.token)
        client = run_client("pyquil", CLIENT.format(circuits=client_circuits, shots=SHOTS, repeat=args.repeat,
                                                    processor=PROCESSOR), env, timeout=900)
    rows = {}
    for name, program in programs.items():
        engine = engine_times(isa, program, args.repeat)
        e2e = client[name]["e2e_s"]
        pyqvm_rate = client[name]["pyqvm_shots"] / client[name]["pyqvm_s"]
        rows[name] = {"shots": SHOTS, "engine_s": engine, "e2e_s": e2e, "overhead_s": e2e - engine,
                      "e2e_shots_per_s": SHOTS / e2e, "pyqvm_shots_per_s": pyqvm_rate,
                      "speedup_vs_pyqvm": (SHOTS / e2e) / pyqvm_rate}
    print(f"{'circuit':<12}{'shots':>7}{'engine s':>10}{'qc.run s':>10}{'overhead s':>12}"
          f"{'shots/s':>11}{'PyQVM shots/s':>15}{'vs PyQVM':>10}")
    for name, r in rows.items():
        print(f"{name:<12}{r['shots']:>7}{r['engine_s']:>10.4f}{r['e2e_s']:>10.4f}{r['overhead_s']:>12.4f}"
              f"{r['e2e_shots_per_s']:>11.0f}{r['pyqvm_shots_per_s']:>15.0f}{r['speedup_vs_pyqvm']:>9.1f}x")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "execution.json").write_text(json.dumps({"repeat": args.repeat, "circuits": rows}, indent=2))
    return rows


if __name__ == "__main__":
    main()
