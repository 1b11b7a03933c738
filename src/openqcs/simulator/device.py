"""What a processor's ISA (the REST ``InstructionSetArchitecture`` JSON) says about simulation:
which qubits and edges are live, which gates are native on each site, and the calibration
figures the noise model uses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# 2-qubit gate name -> the edge characteristic that calibrates it, most specific first.
EDGE_FIDELITY = {
    "CZ": ("fCZ",),
    "CPHASE": ("fCPHASE", "fCZ"),
    "XY": ("fXY", "fISWAP"),
    "ISWAP": ("fISWAP", "fXY"),
}
EDGE_FALLBACK = ("fCZ", "fXY", "fCPHASE", "fISWAP")
# Rigetti's native set, for an ISA that lists no instructions (a bare architecture).
DEFAULT_1Q = frozenset({"RX", "RZ", "I", "MEASURE", "RESET"})
DEFAULT_2Q = frozenset({"CZ", "CPHASE", "XY"})
GATES_1Q = frozenset({"RX", "RZ", "I"})
GATES_2Q = frozenset({"CZ", "CPHASE", "XY", "ISWAP"})
# RX is calibrated at fixed angles only (QCS's DEFCALs): multiples of pi/2.
RX_STEP = math.pi / 2
ANGLE_TOLERANCE = 1e-9


def rx_angle_is_native(theta: float) -> bool:
    steps = theta / RX_STEP
    return abs(steps - round(steps)) * RX_STEP < ANGLE_TOLERANCE


@dataclass
class Device:
    name: str = ""
    qubits: frozenset[int] = frozenset()
    edges: frozenset[frozenset[int]] = frozenset()
    f_rb: dict[int, float] = field(default_factory=dict)  # isolated 1q RB (randomized_benchmark_1q)
    f_rb_sim: dict[int, float] = field(default_factory=dict)  # all qubits driven at once
    f_ro: dict[int, float] = field(default_factory=dict)
    f_ar: dict[int, float] = field(default_factory=dict)
    t1: dict[int, float] = field(default_factory=dict)  # seconds
    t2: dict[int, float] = field(default_factory=dict)  # seconds (T2*, FreeInductionDecay)
    edge_f: dict[frozenset[int], dict[str, float]] = field(default_factory=dict)
    native_1q: dict[int, frozenset[str]] = field(default_factory=dict)  # incl. MEASURE, RESET
    native_2q: dict[frozenset[int], frozenset[str]] = field(default_factory=dict)
    neighbours: dict[int, frozenset[int]] = field(default_factory=dict)  # over the architecture

    def edge_fidelity(self, gate: str, a: int, b: int) -> float | None:
        chars = self.edge_f.get(frozenset((a, b)), {})
        for name in EDGE_FIDELITY.get(gate, ()) + EDGE_FALLBACK:
            if name in chars:
                return chars[name]
        return None

    def natives_at(self, qubits: tuple[int, ...]) -> frozenset[str]:
        if len(qubits) == 1:
            return self.native_1q.get(qubits[0], frozenset())
        if len(qubits) == 2:
            return self.native_2q.get(frozenset(qubits), frozenset())
        return frozenset()


def _chars(site: dict[str, Any]) -> list[dict[str, Any]]:
    return site.get("characteristics") or []


def device_from_isa(isa: dict[str, Any]) -> Device:
    """Read an ISA dict; tolerant of missing sections (a bare architecture is a noiseless device)."""
    isa = isa or {}
    arch = isa.get("architecture") or {}
    nodes = {int(n["node_id"]) for n in arch.get("nodes") or [] if "node_id" in n}
    arch_edges = {frozenset(int(q) for q in e.get("node_ids") or []) for e in arch.get("edges") or []}
    arch_edges = {e for e in arch_edges if len(e) == 2}
    dev = Device(name=str(isa.get("name") or ""))
    native_1q: dict[int, set[str]] = {}
    native_2q: dict[frozenset[int], set[str]] = {}
    for ins in isa.get("instructions") or []:
        op = str(ins.get("name") or "")
        for site in ins.get("sites") or []:
            ids = [int(q) for q in site.get("node_ids") or []]
            if len(ids) == 1:
                q = ids[0]
                native_1q.setdefault(q, set()).add(op)
                for c in _chars(site):
                    if c.get("name") == "fRO" and op == "MEASURE":
                        dev.f_ro[q] = float(c["value"])
                    elif c.get("name") == "fAR":
                        dev.f_ar[q] = float(c["value"])
            elif len(ids) == 2:
                edge = frozenset(ids)
                native_2q.setdefault(edge, set()).add(op)
                for c in _chars(site):
                    name = c.get("name")
                    if name and name.startswith("f") and "value" in c:
                        # Keep the best figure when several parameter values are calibrated.
                        cur = dev.edge_f.setdefault(edge, {})
                        cur[name] = max(cur.get(name, 0.0), float(c["value"]))
    for bench in isa.get("benchmarks") or []:
        simultaneous = bench.get("name") == "randomized_benchmark_simultaneous_1q"
        for site in bench.get("sites") or []:
            site_ids = [int(q) for q in site.get("node_ids") or []]
            for c in _chars(site):
                ids = [int(q) for q in c.get("node_ids") or site_ids]
                if len(ids) != 1 or "value" not in c:
                    continue
                q, name, value = ids[0], c.get("name"), float(c["value"])
                if name == "fRB":
                    (dev.f_rb_sim if simultaneous else dev.f_rb)[q] = value
                elif name == "T1":
                    dev.t1[q] = value
                elif name == "T2":
                    dev.t2[q] = value
    # A qubit benchmarked only simultaneously takes that figure for both.
    for q, value in dev.f_rb_sim.items():
        dev.f_rb.setdefault(q, value)
    # A node is live when it has gates; an ISA without sites is taken at its architecture's word.
    one_q_sites = {q for q, ops in native_1q.items() if ops & GATES_1Q}
    two_q_sites = {e for e, ops in native_2q.items() if ops & GATES_2Q}
    if native_1q:
        dev.qubits = frozenset(nodes & one_q_sites)
        dev.native_1q = {q: frozenset(native_1q[q]) for q in dev.qubits}
    else:
        dev.qubits = frozenset(nodes)
        dev.native_1q = {q: DEFAULT_1Q for q in dev.qubits}
    live_edges = arch_edges & two_q_sites if native_2q else arch_edges
    dev.edges = frozenset(e for e in live_edges if e <= dev.qubits)
    dev.native_2q = {e: frozenset(native_2q[e]) if native_2q else DEFAULT_2Q for e in dev.edges}
    neighbours: dict[int, set[int]] = {}
    for a, b in (tuple(e) for e in arch_edges):
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    dev.neighbours = {q: frozenset(ns) for q, ns in neighbours.items()}
    return dev
