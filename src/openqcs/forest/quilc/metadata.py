"""NativeQuilMetadata (forest-wire.md §2.5) of a compiled program, from the TargetDevice's
durations and fidelities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openqcs.forest.quilc.quil_out import Native
from openqcs.forest.quilc.target import Device

# A shot also pays for resetting the qubits and reading them out; the estimate adds a fixed
# active-reset time per shot to the program's own duration (ns).
RESET_NS = 1000.0


def _depth(natives: list[Native], keep: Callable[[Native], bool]) -> int:
    level: dict[int, int] = {}
    deepest = 0
    for n in natives:
        if not keep(n):
            continue
        d = 1 + max((level.get(q, 0) for q in n.qubits), default=0)
        for q in n.qubits:
            level[q] = d
        deepest = max(deepest, d)
    return deepest


def metadata(natives: list[Native], device: Device, final_rewiring: list[int], swaps: int) -> dict[str, Any]:
    gates = [n for n in natives if n.name not in ("measure", "reset")]
    clock: dict[int, float] = {}
    fidelity = 1.0
    for n in natives:
        info = device.info(n.name, n.qubits)
        duration = 0.0 if n.name == "rz" or info is None else info.duration
        start = max((clock.get(q, 0.0) for q in n.qubits), default=0.0)
        for q in n.qubits:
            clock[q] = start + duration
        if info is not None:
            fidelity *= info.fidelity
    duration = max(clock.values(), default=0.0)
    return {
        "final_rewiring": final_rewiring,
        "gate_depth": _depth(gates, lambda n: True),
        "multiqubit_gate_depth": _depth(gates, lambda n: len(n.qubits) > 1),
        "gate_volume": len(gates),
        "topological_swaps": swaps,
        "program_duration": duration,
        "program_fidelity": fidelity,
        "qpu_runtime_estimation": duration + RESET_NS,
    }
