"""Quil programs shared by tests that run them."""

from __future__ import annotations

from openqcs.processors.seed import published_isa


def wide_program(qubits: int, depth: int, source: str = "Aspen-M-3") -> str:
    """A noiseless-heavy program: ``depth`` layers of RX/RZ on ``qubits`` connected qubits and CZ on
    their edges (22 qubits x 20 layers simulate for several seconds here)."""
    doc = published_isa(source)
    edges = [tuple(s["node_ids"]) for op in doc["instructions"] if op["name"] == "CZ" for s in op["sites"]]
    neighbours: dict[int, list[int]] = {}
    for a, b in edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    chosen, index = [0], 0
    while len(chosen) < qubits:
        for other in sorted(neighbours[chosen[index]]):
            if other not in chosen and len(chosen) < qubits:
                chosen.append(other)
        index += 1
    inner = [(a, b) for a, b in edges if a in chosen and b in chosen]
    lines = [f"DECLARE ro BIT[{qubits}]"]
    for layer in range(depth):
        for q in chosen:
            lines += [f"RX(pi/2) {q}", f"RZ({0.1 * layer + 0.01 * q:.3f}) {q}"]
        lines += [f"CZ {a} {b}" for a, b in inner[layer % 2::2]]
    lines += [f"MEASURE {q} ro[{i}]" for i, q in enumerate(chosen)]
    return "\n".join(lines) + "\n"
