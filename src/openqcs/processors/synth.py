"""Synthetic Ankaa-class ISAs: a square lattice with calibration figures drawn around medians.

The same seed gives the same figures. Fidelities scatter log-normally in their infidelity, so
most qubits sit near the median with a tail of worse ones, as on real devices.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openqcs.errors import InvalidArgument
from openqcs.processors.isa import RB_SIMULTANEOUS_1Q

MAX_QUBITS = 1024


@dataclass(frozen=True)
class Medians:
    frb: float = 0.998   # simultaneous 1q randomized benchmarking
    fro: float = 0.96    # readout
    fcz: float = 0.975
    fiswap: float = 0.97
    t1: float = 30e-6    # seconds, like Aspen-M-3's FreeInversionRecovery
    t2: float = 20e-6


def _fidelity(rng: random.Random, median: float, spread: float = 0.35) -> float:
    infidelity = (1.0 - median) * math.exp(rng.gauss(0.0, spread))
    return round(min(0.99999, max(0.5, 1.0 - infidelity)), 6)


def _time(rng: random.Random, median: float) -> float:
    return float(f"{median * math.exp(rng.gauss(0.0, 0.3)):.4g}")


def square_lattice(rows: int, cols: int) -> tuple[list[int], list[tuple[int, int]]]:
    nodes = [r * cols + c for r in range(rows) for c in range(cols)]
    edges = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
    edges += [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)]
    return nodes, sorted(edges)


def synthesize(name: str, *, rows: int, cols: int, seed: int, now: datetime, family: str = "Ankaa",
               medians: Medians = Medians()) -> dict[str, Any]:
    """An ISA for a rows x cols square lattice named ``name``, measured at ``now``."""
    if rows < 1 or cols < 1 or rows * cols > MAX_QUBITS or rows * cols < 2:
        raise InvalidArgument(f"rows x cols must give between 2 and {MAX_QUBITS} qubits, not {rows}x{cols}")
    for field, value in vars(medians).items():
        # Fidelities are fractions and T1/T2 are seconds: both lie strictly between 0 and 1.
        if not 0 < value < 1:
            raise InvalidArgument(f"median {field} must be between 0 and 1, not {value}")
    rng = random.Random(seed)
    stamp = now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    nodes, edges = square_lattice(rows, cols)

    def char(name: str, value: float, node_ids: list[int] | None = None, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "value": value, "timestamp": stamp, **extra}
        if node_ids is not None:
            out["node_ids"] = node_ids
        return out

    def op(name: str, count: int, sites: list[dict[str, Any]], params: tuple[str, ...] = ()) -> dict[str, Any]:
        return {"name": name, "node_count": count, "parameters": [{"name": p} for p in params],
                "characteristics": [], "sites": sites}

    def per_qubit(chars: Callable[[int], list[dict[str, Any]]] = lambda q: []) -> list[dict[str, Any]]:
        return [{"node_ids": [q], "characteristics": chars(q)} for q in nodes]

    frb = {q: _fidelity(rng, medians.frb, 0.5) for q in nodes}
    fro = {q: _fidelity(rng, medians.fro) for q in nodes}
    t1 = {q: _time(rng, medians.t1) for q in nodes}
    t2 = {q: min(_time(rng, medians.t2), 2 * t1[q]) for q in nodes}
    fcz = {e: _fidelity(rng, medians.fcz) for e in edges}
    fiswap = {e: _fidelity(rng, medians.fiswap) for e in edges}

    instructions = [
        op("RESET", 1, per_qubit()),
        op("I", 1, per_qubit()),
        op("RX", 1, per_qubit(), ("theta",)),
        op("RZ", 1, per_qubit(), ("theta",)),
        op("MEASURE", 1, per_qubit(lambda q: [char("fRO", fro[q])])),
        op("CZ", 2, [{"node_ids": list(e), "characteristics": [char("fCZ", fcz[e])]} for e in edges]),
        op("ISWAP", 2, [{"node_ids": list(e), "characteristics": [char("fISWAP", fiswap[e])]} for e in edges]),
    ]
    benchmarks = [
        op("randomized_benchmark_1q", 1, per_qubit(lambda q: [char("fRB", frb[q])])),
        op(RB_SIMULTANEOUS_1Q, len(nodes),
           [{"node_ids": list(nodes), "characteristics": [char("fRB", frb[q], [q]) for q in nodes]}]),
        op("FreeInversionRecovery", 1, per_qubit(lambda q: [char("T1", t1[q])])),
        op("FreeInductionDecay", 1, per_qubit(lambda q: [char("T2", t2[q])])),
    ]
    return {
        "name": name,
        "architecture": {"family": family, "nodes": [{"node_id": q} for q in nodes],
                         "edges": [{"node_ids": list(e)} for e in edges]},
        "instructions": instructions,
        "benchmarks": benchmarks,
    }
