"""A processor's lattice for drawing: qubit positions from the node ids, live or dead, and a
colour per qubit or edge for the chosen calibration figure.

Aspen node ids are ``100·row + 10·octagon + k`` with ``k`` 0-7 around an octagon (couplers join
k 1,2 to the next octagon's 6,5 and k 0,7 to the next row's 3,4). Other ids are taken as a square
lattice ``row·cols + col``, with ``cols`` the smallest vertical step among the edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from openqcs.simulator.device import device_from_isa

METRICS = {"fRO": "readout fidelity (fRO)", "fRB": "1-qubit gate fidelity (fRB)", "fCZ": "CZ fidelity (fCZ)"}
# (lower bound, colour, label), best first; fixed bands so two processors compare by eye.
BANDS = [(0.99, "#1a9850", "≥ 99 %"), (0.98, "#91cf60", "98–99 %"), (0.95, "#fee08b", "95–98 %"),
         (0.90, "#fc8d59", "90–95 %"), (0.0, "#d73027", "< 90 %")]
NO_DATA, DEAD = "#c8ccd4", "#6b7280"
OCTAGON_R, OCTAGON_PITCH, GRID_PITCH, MARGIN = 40.0, 120.0, 60.0, 36.0


@dataclass
class Qubit:
    id: int
    x: float
    y: float
    live: bool
    figures: dict[str, float | None] = field(default_factory=dict)
    colour: str = NO_DATA


@dataclass
class Edge:
    a: Qubit
    b: Qubit
    live: bool
    figures: dict[str, float | None] = field(default_factory=dict)
    colour: str = NO_DATA


@dataclass
class Lattice:
    qubits: list[Qubit]
    edges: list[Edge]
    width: float
    height: float
    metric: str
    bands: list[tuple[float, str, str]] = field(default_factory=lambda: BANDS)


def colour_of(value: float | None) -> str:
    if value is None:
        return NO_DATA
    return next(colour for low, colour, _ in BANDS if value >= low)


def _aspen(ids: list[int]) -> bool:
    return all(i % 10 < 8 for i in ids) and any(i >= 10 for i in ids)


def _positions(ids: list[int], edges: list[tuple[int, int]]) -> dict[int, tuple[float, float]]:
    if _aspen(ids):
        out = {}
        for i in ids:
            row, octagon, k = i // 100, (i // 10) % 10, i % 10
            angle = math.radians(-22.5 + 45 * (k - 1))
            out[i] = (octagon * OCTAGON_PITCH + OCTAGON_R * math.cos(angle),
                      row * OCTAGON_PITCH - OCTAGON_R * math.sin(angle))
        return out
    steps = [abs(a - b) for a, b in edges if abs(a - b) > 1]
    cols = min(steps) if steps else max(len(ids), 1)
    return {i: ((i % cols) * GRID_PITCH, (i // cols) * GRID_PITCH) for i in ids}


def lattice(isa: dict[str, Any], metric: str = "fRO") -> Lattice:
    metric = metric if metric in METRICS else "fRO"
    device = device_from_isa(isa)
    arch = isa.get("architecture") or {}
    ids = sorted(int(n["node_id"]) for n in arch.get("nodes") or [] if "node_id" in n)
    found = sorted({tuple(sorted(int(q) for q in e.get("node_ids") or [])) for e in arch.get("edges") or []})
    pairs = [(p[0], p[1]) for p in found if len(p) == 2 and p[0] in ids and p[1] in ids]
    where = _positions(ids, pairs)
    xs, ys = [p[0] for p in where.values()] or [0.0], [p[1] for p in where.values()] or [0.0]
    dx, dy = MARGIN - min(xs), MARGIN - min(ys)
    qubits = {}
    for i in ids:
        live = i in device.qubits
        figures = {"fRO": device.f_ro.get(i), "fRB": device.f_rb.get(i), "T1": device.t1.get(i),
                   "T2": device.t2.get(i)}
        colour = (colour_of(figures[metric]) if live else DEAD) if metric != "fCZ" else (NO_DATA if live else DEAD)
        qubits[i] = Qubit(i, where[i][0] + dx, where[i][1] + dy, live, figures, colour)
    edges = []
    for a, b in pairs:
        key = frozenset((a, b))
        live = key in device.edges
        figures = {"fCZ": device.edge_f.get(key, {}).get("fCZ"),
                   "fXY": device.edge_f.get(key, {}).get("fXY")}
        colour = DEAD if not live else (colour_of(figures["fCZ"]) if metric == "fCZ" else NO_DATA)
        edges.append(Edge(qubits[a], qubits[b], live, figures, colour))
    return Lattice(list(qubits.values()), edges, max(xs) + dx + MARGIN, max(ys) + dy + MARGIN, metric)
