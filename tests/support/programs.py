"""Quil programs shared by tests that run them."""

from __future__ import annotations

from openqcs.processors.seed import published_isa

# A Bell pair in Aspen's native gates (H = RZ(pi/2) RX(pi/2) RZ(pi/2); CNOT 0 1 = H 1, CZ 0 1, H 1).
BELL = ("DECLARE ro BIT[2]\n"
        "RZ(pi/2) 0\nRX(pi/2) 0\nRZ(pi/2) 0\nRZ(pi/2) 1\nRX(pi/2) 1\nRZ(pi/2) 1\nCZ 0 1\n"
        "RZ(pi/2) 1\nRX(pi/2) 1\nRZ(pi/2) 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n")


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


LONG = wide_program(25, 60)  # 15-20 s of simulation here, far more than any test waits for it to run
