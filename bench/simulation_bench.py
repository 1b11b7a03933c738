"""Simulation benchmark: openqcs's engine (``run_program``: parse, check against the ISA, build,
simulate, decode) beside bare qiskit-aer running the same circuit built by hand, in one run.

    python -m bench simulation [-- --repeat 3 --noisy-20q]

Circuits on Aspen-M-3's qubits: Bell on an edge, GHZ-5 along a path, and 20 qubits × depth 20
(random RX/RZ layers and CZ on alternating edges of a 20-qubit path), noiseless and with the
processor's noise (the noisy 20-qubit case only with --noisy-20q). Prints medians and the
engine/bare ratio; writes bench/results/simulation.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openqcs.simulator.device import device_from_isa  # noqa: E402
from openqcs.processors.seed import published_isa  # noqa: E402
from openqcs.simulator.simulate import run_program  # noqa: E402


def load_isa() -> dict:
    return published_isa("Aspen-M-3")


def path_of(device, length: int, start: int = 0) -> list[int]:
    """A simple path of live qubits (depth-first), so CZs between neighbours are on edges."""
    best: list[int] = []

    def walk(path: list[int]) -> bool:
        nonlocal best
        if len(path) > len(best):
            best = list(path)
        if len(path) == length:
            return True
        for e in sorted(device.edges, key=sorted):
            if path[-1] in e:
                (nxt,) = e - {path[-1]}
                if nxt not in path and walk(path + [nxt]):
                    return True
        return False

    walk([start])
    if len(best) < length:
        raise SystemExit(f"no path of {length} qubits from {start}")
    return best


def circuits(device) -> list[tuple[str, list[tuple], list[int]]]:
    """(name, gate list [(name, params, qubits)], measured qubits)."""
    out = []
    bell = path_of(device, 2)
    out.append(("bell", [("H", (), (bell[0],)), ("CNOT", (), tuple(bell))], bell))
    ghz = path_of(device, 5)
    ops = [("H", (), (ghz[0],))] + [("CNOT", (), (a, b)) for a, b in zip(ghz, ghz[1:])]
    out.append(("ghz5", ops, ghz))
    line = path_of(device, 20)
    rng = np.random.default_rng(1)
    ops = []
    for layer in range(20):
        for q in line:
            ops.append(("RX", (float(rng.uniform(0, np.pi)),), (q,)))
            ops.append(("RZ", (float(rng.uniform(0, 2 * np.pi)),), (q,)))
        for a, b in list(zip(line, line[1:]))[layer % 2::2]:
            ops.append(("CZ", (), (a, b)))
    out.append(("20q-depth20", ops, line))
    return out


def to_quil(ops, measured) -> str:
    lines = [f"DECLARE ro BIT[{len(measured)}]"]
    for name, params, qubits in ops:
        p = f"({', '.join(repr(x) for x in params)})" if params else ""
        lines.append(f"{name}{p} {' '.join(map(str, qubits))}")
    lines += [f"MEASURE {q} ro[{i}]" for i, q in enumerate(measured)]
    return "\n".join(lines) + "\n"


def bare_aer(ops, measured, shots: int) -> float:
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    index = {q: i for i, q in enumerate(sorted(measured))}
    qc = QuantumCircuit(len(index), len(measured))
    for name, params, qubits in ops:
        qs = [index[q] for q in qubits]
        getattr(qc, {"CNOT": "cx"}.get(name, name.lower()))(*params, *qs)
    qc.measure([index[q] for q in measured], list(range(len(measured))))
    sim = AerSimulator(method="statevector", max_parallel_threads=1, seed_simulator=1)
    start = time.perf_counter()
    sim.run(qc, shots=shots, memory=True).result().get_memory()
    return time.perf_counter() - start


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(repeat: int, noisy_wide: bool = False) -> list[dict]:
    isa = load_isa()
    device = device_from_isa(isa)
    run_program("DECLARE ro BIT[1]\nX 0\nMEASURE 0 ro[0]\n", isa, 1, {}, noiseless=False)  # imports
    rows = []
    for name, ops, measured in circuits(device):
        quil = to_quil(ops, measured)
        cases = [(False, 1000)]
        if len(measured) <= 5:
            cases.append((True, 1000))
        elif noisy_wide:  # 16 sampled noise realizations of 2^20 amplitudes (see engines/aer.py)
            cases.append((True, 1000))
        for noisy, shots in cases:
            engine = timed(lambda: run_program(quil, isa, shots, {}, noiseless=not noisy, seed=1), repeat)
            row = {"circuit": name, "qubits": len(measured), "shots": shots, "noise": noisy,
                   "engine_s": engine, "shots_per_s": shots / engine}
            if not noisy:
                bare = statistics.median(bare_aer(ops, measured, shots) for _ in range(repeat))
                row.update(bare_aer_s=bare, ratio=engine / bare)
            rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    head = f"{'circuit':<13}{'noise':<7}{'shots':>6}{'engine s':>11}{'bare aer s':>12}{'ratio':>8}{'shots/s':>11}"
    lines = [head, "-" * len(head)]
    for r in rows:
        bare = f"{r['bare_aer_s']:.4f}" if "bare_aer_s" in r else "-"
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else "-"
        lines.append(f"{r['circuit']:<13}{'yes' if r['noise'] else 'no':<7}{r['shots']:>6}"
                     f"{r['engine_s']:>11.4f}{bare:>12}{ratio:>8}{r['shots_per_s']:>11.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--noisy-20q", action="store_true", help="also time the noisy 20-qubit circuit (slow)")
    args, _ = parser.parse_known_args(argv)  # `python -m bench` passes one command line to all
    rows = run(args.repeat, args.noisy_20q)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "simulation.json").write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
