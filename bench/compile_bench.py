"""Compile benchmark: openqcs's quilc (qiskit's preset transpiler on a Target built from the
TargetDevice) at optimization levels 1-3 beside a simple baseline (trivial placement, basic
swap routing, translation only), in one run, onto Aspen-M-3 and pyquil's generic 9q-square.

    python -m bench compile [-- --repeat 3]

Circuits: GHZ-8, QFT-5, QFT-10, random 2-qubit-gate circuits (6 q x 30 and 9 q x 100 gates) and
a parametric ansatz (6 q, 3 layers of RY(theta[i]) + a CNOT ladder). For each: median compile
time, 2-qubit gate count, depth, and the SWAPs routing inserted. Also one Bell compile through
the rpcq socket (the quilc process and its worker) beside the same compile in-process. Writes
bench/results/compile.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from openqcs.forest.quilc import compiler  # noqa: E402

REFERENCE = Path("/work/shared/reference")
if not REFERENCE.exists():
    REFERENCE = ROOT.parent / "shared/reference"


def devices() -> dict[str, dict]:
    aspen = json.loads((REFERENCE / "forest-target-device-aspen-m3.json").read_text())
    two = json.loads((REFERENCE / "forest-target-device-2q-qvm.json").read_text())
    site, edge = two["isa"]["1Q"]["0"]["gates"], two["isa"]["2Q"]["0-1"]["gates"]
    one_q = {str(q): {"id": q, "gates": copy.deepcopy(site)} for q in range(9)}
    pairs = [(r * 3 + c, r * 3 + c + 1) for r in range(3) for c in range(2)]
    pairs += [(r * 3 + c, r * 3 + c + 3) for r in range(2) for c in range(3)]
    two_q = {f"{a}-{b}": {"ids": [a, b], "gates": copy.deepcopy(edge)} for a, b in pairs}
    return {"Aspen-M-3": aspen, "9q-square": {"_type": "TargetDevice", "isa": {"1Q": one_q, "2Q": two_q}, "specs": {}}}


def ghz(n: int) -> str:
    return "H 0\n" + "".join(f"CNOT {i} {i + 1}\n" for i in range(n - 1))


def qft(n: int) -> str:
    lines = []
    for i in range(n):
        lines.append(f"H {i}")
        for j in range(i + 1, n):
            lines.append(f"CPHASE({math.pi / 2 ** (j - i)!r}) {j} {i}")
    lines += [f"SWAP {i} {n - 1 - i}" for i in range(n // 2)]
    return "\n".join(lines) + "\n"


def random_2q(n: int, gates: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(gates):
        a, b = (int(q) for q in rng.choice(n, 2, replace=False))
        lines += [f"RY({rng.uniform(-3, 3)!r}) {a}", f"CNOT {a} {b}"]
    return "\n".join(lines) + "\n"


def ansatz(n: int, layers: int) -> str:
    lines = [f"DECLARE theta REAL[{n * layers}]"]
    for layer in range(layers):
        lines += [f"RY(theta[{layer * n + q}]) {q}" for q in range(n)]
        lines += [f"CNOT {q} {q + 1}" for q in range(n - 1)]
    return "\n".join(lines) + "\n"


CIRCUITS = {"ghz8": ghz(8), "qft5": qft(5), "qft10": qft(10), "rand6x30": random_2q(6, 30, 1),
            "rand9x100": random_2q(9, 100, 2), "ansatz6x3": ansatz(6, 3)}


def baseline(source: str, device: dict):
    """Trivial placement, basic routing, no optimization: what a hand-written compiler would do first."""
    from qiskit import transpile

    from openqcs.forest.quilc.quil_in import read_program

    _, target = compiler.device_of(device)
    circuit = read_program(source).pieces[0]
    progress = compiler._Progress(None)
    out = transpile(circuit, target=target, optimization_level=0, layout_method="trivial",
                    routing_method="basic", seed_transpiler=compiler.SEED, callback=progress)
    ops = out.count_ops()
    two = sum(ops.get(g, 0) for g in ("cz", "cp", "xy"))
    return two, out.depth(lambda i: i.operation.name != "barrier"), progress.swaps


def ours(source: str, device: dict, level: int):
    compiler.OPTIMIZATION_LEVEL = level
    compiled = compiler.compile_quil(source, device, protoquil=True)
    meta = compiled.metadata
    two = sum(1 for n in compiled.natives if len(n.qubits) == 2)
    return two, meta["gate_depth"], meta["topological_swaps"]


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(repeat: int) -> list[dict]:
    rows = []
    for dev_name, device in devices().items():
        live = sum(1 for v in device["isa"]["1Q"].values() if not v.get("dead"))
        ours(ghz(2), device, 2)  # warm the device cache and qiskit
        for name, source in CIRCUITS.items():
            if name == "qft10" and live < 10:
                continue
            row = {"device": dev_name, "circuit": name}
            seconds, (two, depth, swaps) = timed(partial(baseline, source, device), repeat)
            row["baseline"] = {"s": seconds, "2q": two, "depth": depth, "swaps": swaps}
            for level in (1, 2, 3):
                seconds, (two, depth, swaps) = timed(partial(ours, source, device, level), repeat)
                row[f"level{level}"] = {"s": seconds, "2q": two, "depth": depth, "swaps": swaps}
            rows.append(row)
    compiler.OPTIMIZATION_LEVEL = 2
    return rows


def rpc_round_trip(repeat: int) -> dict:
    """One Bell compile through the quilc process (socket + worker) beside the same compile in-process."""
    import msgspec
    import zmq

    from openqcs.config import load_settings
    from openqcs.forest.quilc import server
    from tests.support.server import free_port

    device = devices()["Aspen-M-3"]
    bell = "DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
    settings = load_settings({}, host="127.0.0.1", quilc_port=free_port(), log_level="WARNING")
    stop = server.start(settings)
    message = {"_type": "RPCRequest", "method": "quil_to_native_quil", "id": "bench", "jsonrpc": "2.0",
               "params": {"protoquil": None, "*args": [{"quil": bell, "target_device": device}]},
               "client_timeout": 30.0, "client_key": None}

    def call() -> None:
        sock = zmq.Context.instance().socket(zmq.DEALER)  # the SDK opens a socket per request
        sock.connect(settings.quilc_url)
        sock.send(msgspec.msgpack.encode(message))
        sock.poll(60000)
        sock.recv()
        sock.close(0)

    try:
        call()  # the worker's first compile builds its Target
        socket_s, _ = timed(call, repeat * 5)
    finally:
        stop()
    local_s, _ = timed(lambda: compiler.compile_quil(bell, device), repeat * 5)
    return {"socket_s": socket_s, "in_process_s": local_s, "ratio": socket_s / local_s}


def table(rows: list[dict]) -> str:
    kinds = ["baseline", "level1", "level2", "level3"]
    head = f"{'device':<11}{'circuit':<11}" + "".join(f"{k + ' s/2q/depth/swaps':>34}" for k in kinds)
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = "".join(f"{r[k]['s'] * 1000:>13.1f}ms {r[k]['2q']:>5} {r[k]['depth']:>6} {r[k]['swaps']:>5}  "
                        for k in kinds)
        lines.append(f"{r['device']:<11}{r['circuit']:<11}{cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args, _ = parser.parse_known_args(argv)
    rows = run(args.repeat)
    rpc = rpc_round_trip(args.repeat)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "compile.json").write_text(json.dumps({"circuits": rows, "rpc": rpc}, indent=1))
    print(table(rows))
    print(f"\nBell onto Aspen-M-3 through the rpcq socket: {rpc['socket_s'] * 1000:.1f} ms, "
          f"in-process {rpc['in_process_s'] * 1000:.1f} ms (x{rpc['ratio']:.2f})")


if __name__ == "__main__":
    main()
