"""Engine benchmark: each simulation engine on the same parsed program, side by side in one run.

    python -m bench simulation [-- --repeat 1 --max-qubits 26]

Circuits in Aspen-M-3's native gates along a path of live qubits: GHZ, random (RZ(θ)·RX(pi/2)
layers and CZ on alternating edges, depth 20) and Clifford (the same with RZ at multiples of
pi/2), at 5-26 qubits, 1000 shots, noiseless; and the random circuit with the processor's
noise. Engines: numpy reference, qiskit-aer, qsim, stim (Clifford circuits only) and "auto" (``run_program``'s per-job
choice, incl. parse and ISA check). Cases an engine would take minutes on are skipped ("-").
Writes bench/results/simulation.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from functools import partial
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from openqcs.processors.seed import published_isa  # noqa: E402
from openqcs.simulator.device import device_from_isa  # noqa: E402
from openqcs.simulator.engine import choose_engine, get_engine  # noqa: E402
from openqcs.simulator.noise import noise_for  # noqa: E402
from openqcs.simulator.program import parse_program  # noqa: E402
from openqcs.simulator.simulate import initial_memory, run_program  # noqa: E402

H = ["RZ(pi/2) {q}", "RX(pi/2) {q}", "RZ(pi/2) {q}"]
ENGINES = ("reference", "aer", "qsim", "stim")
SHOTS = 1000
# (engine, noisy) -> widest program it runs here in reasonable time
LIMITS = {("reference", False): 20, ("aer", False): 26, ("qsim", False): 26,
          ("reference", True): 8, ("aer", True): 16, ("qsim", True): 26}


def cz_path(device, length: int) -> list[int]:
    """A path of live qubits joined by CZ edges (depth-first from each start)."""
    adj = {q: sorted(p for p in device.qubits if "CZ" in device.native_2q.get(frozenset((p, q)), ()))
           for q in device.qubits}
    best: list[int] = []
    for start in sorted(device.qubits):
        path, seen = [start], {start}
        while len(path) < length:
            nxt = [p for p in adj[path[-1]] if p not in seen]
            if not nxt:
                break
            path.append(nxt[0])
            seen.add(nxt[0])
        if len(path) > len(best):
            best = path
        if len(best) == length:
            return best
    raise SystemExit(f"no CZ path of {length} qubits on this processor")


def ghz(path: list[int]) -> list[str]:
    lines = [g.format(q=path[0]) for g in H]
    for a, b in pairwise(path):
        lines += [g.format(q=b) for g in H] + [f"CZ {a} {b}"] + [g.format(q=b) for g in H]
    return lines


def layers(path: list[int], depth: int, clifford: bool, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    lines = []
    for d in range(depth):
        for q in path:
            angle = f"{int(rng.integers(4))}*pi/2" if clifford else f"{rng.uniform(0, 2 * np.pi):.6f}"
            lines += [f"RZ({angle}) {q}", f"RX(pi/2) {q}"]
        lines += [f"CZ {a} {b}" for a, b in list(pairwise(path))[d % 2::2]]
    return lines


def program(body: list[str], path: list[int]) -> str:
    lines = [f"DECLARE ro BIT[{len(path)}]", *body] + [f"MEASURE {q} ro[{i}]" for i, q in enumerate(path)]
    return "\n".join(lines) + "\n"


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(repeat: int, widths: list[int]) -> list[dict]:
    isa = published_isa("Aspen-M-3")
    device = device_from_isa(isa)
    for name in ENGINES:  # imports, outside the timings
        get_engine(name)
    rows = []
    for n in widths:
        path = cz_path(device, n)
        cases = [("ghz", ghz(path), False), ("random", layers(path, 20, False), False),
                 ("clifford", layers(path, 20, True), False), ("random", layers(path, 20, False), True)]
        for circuit, body, noisy in cases:
            quil = program(body, path)
            parsed = parse_program(quil)
            memory = initial_memory(parsed, {})
            noise = noise_for(device, parsed) if noisy else None
            row = {"circuit": circuit, "qubits": n, "ops": len(parsed.ops), "noise": noisy, "shots": SHOTS,
                   "auto_engine": choose_engine(parsed, noise)}
            for name in ENGINES:
                engine = get_engine(name)
                if n > LIMITS.get((name, noisy), 99) or (name == "stim" and not engine.accepts(parsed, memory, noise)):
                    continue
                row[name] = timed(partial(engine.run, parsed, memory, SHOTS, noise, 1), repeat)
            row["auto"] = timed(partial(run_program, quil, isa, SHOTS, {}, noiseless=not noisy, seed=1), repeat)
            rows.append(row)
            print(line(row), flush=True)
    return rows


HEAD = f"{'circuit':<10}{'noise':<7}{'qubits':>6}{'ops':>6}{'reference s':>13}{'aer s':>9}{'qsim s':>9}" \
       f"{'stim s':>9}{'auto s':>9}  auto engine"


def line(r: dict) -> str:
    cells = "".join(f"{r[k]:>{w}.3f}" if k in r else f"{'-':>{w}}" for k, w in
                    (("reference", 13), ("aer", 9), ("qsim", 9), ("stim", 9), ("auto", 9)))
    noise = "yes" if r["noise"] else "no"
    return f"{r['circuit']:<10}{noise:<7}{r['qubits']:>6}{r['ops']:>6}{cells}  {r['auto_engine']}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--widths", default="5,10,16,20,26")
    args, _ = parser.parse_known_args(argv)  # `python -m bench` passes one command line to all
    print(HEAD)
    print("-" * len(HEAD))
    rows = run(args.repeat, [int(w) for w in args.widths.split(",")])
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "simulation.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
