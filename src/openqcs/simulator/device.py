"""What a processor's ISA (the REST ``InstructionSetArchitecture`` JSON) says about simulation:
which qubits and edges are live, and the calibration figures the noise model uses."""

from __future__ import annotations

from dataclasses import dataclass, field

# 2-qubit gate name -> the edge characteristic that calibrates it, most specific first.
EDGE_FIDELITY = {
    "CZ": ("fCZ",),
    "CPHASE": ("fCPHASE", "fCZ"),
    "XY": ("fXY", "fISWAP"),
    "ISWAP": ("fISWAP", "fXY"),
}
EDGE_FALLBACK = ("fCZ", "fXY", "fCPHASE", "fISWAP")


@dataclass
class Device:
    name: str = ""
    qubits: frozenset[int] = frozenset()
    edges: frozenset[frozenset[int]] = frozenset()
    f_rb: dict[int, float] = field(default_factory=dict)
    f_ro: dict[int, float] = field(default_factory=dict)
    f_ar: dict[int, float] = field(default_factory=dict)
    t1: dict[int, float] = field(default_factory=dict)  # seconds
    t2: dict[int, float] = field(default_factory=dict)  # seconds
    edge_f: dict[frozenset[int], dict[str, float]] = field(default_factory=dict)

    def edge_fidelity(self, gate: str, a: int, b: int) -> float | None:
        chars = self.edge_f.get(frozenset((a, b)), {})
        for name in EDGE_FIDELITY.get(gate, ()) + EDGE_FALLBACK:
            if name in chars:
                return chars[name]
        return None


def _chars(site: dict) -> list[dict]:
    return site.get("characteristics") or []


def device_from_isa(isa: dict) -> Device:
    """Read an ISA dict; tolerant of missing sections (a bare architecture is a noiseless device)."""
    isa = isa or {}
    arch = isa.get("architecture") or {}
    nodes = {int(n["node_id"]) for n in arch.get("nodes") or [] if "node_id" in n}
    arch_edges = {frozenset(int(q) for q in e.get("node_ids") or []) for e in arch.get("edges") or []}
    arch_edges = {e for e in arch_edges if len(e) == 2}
    dev = Device(name=str(isa.get("name") or ""))
    one_q_sites: set[int] = set()
    two_q_sites: set[frozenset[int]] = set()
    for ins in isa.get("instructions") or []:
        for site in ins.get("sites") or []:
            ids = [int(q) for q in site.get("node_ids") or []]
            if len(ids) == 1:
                q = ids[0]
                one_q_sites.add(q)
                for c in _chars(site):
                    if c.get("name") == "fRO" and ins.get("name") == "MEASURE":
                        dev.f_ro[q] = float(c["value"])
                    elif c.get("name") == "fAR":
                        dev.f_ar[q] = float(c["value"])
            elif len(ids) == 2:
                edge = frozenset(ids)
                two_q_sites.add(edge)
                for c in _chars(site):
                    name = c.get("name")
                    if name and name.startswith("f") and "value" in c:
                        # Keep the best figure when several parameter values are calibrated.
                        cur = dev.edge_f.setdefault(edge, {})
                        cur[name] = max(cur.get(name, 0.0), float(c["value"]))
    for bench in isa.get("benchmarks") or []:
        for site in bench.get("sites") or []:
            site_ids = [int(q) for q in site.get("node_ids") or []]
            for c in _chars(site):
                ids = [int(q) for q in c.get("node_ids") or site_ids]
                if len(ids) != 1 or "value" not in c:
                    continue
                q, name, value = ids[0], c.get("name"), float(c["value"])
                if name == "fRB" and (bench.get("name") == "randomized_benchmark_simultaneous_1q" or q not in dev.f_rb):
                    dev.f_rb[q] = value
                elif name == "T1":
                    dev.t1[q] = value
                elif name == "T2":
                    dev.t2[q] = value
    # A node is live when it has gates; an ISA without sites is taken at its architecture's word.
    dev.qubits = frozenset(nodes & one_q_sites) if one_q_sites else frozenset(nodes)
    live_edges = arch_edges & two_q_sites if two_q_sites else arch_edges
    dev.edges = frozenset(e for e in live_edges if e <= dev.qubits)
    return dev
