"""The device a compile request describes (rpcq ``TargetDevice``), as a qiskit ``Target``.

Only live qubits enter the target, numbered densely in ascending id order (qiskit wants
0..n-1); ``Device.ids`` maps a dense index back to the device's qubit id. Fidelities become
errors so that layout and routing prefer the better qubits and edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from qiskit.circuit import Gate, Parameter, QuantumCircuit
from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.circuit.library import (
    CPhaseGate,
    CZGate,
    Measure,
    Reset,
    RZGate,
    SXdgGate,
    SXGate,
    XGate,
    XXPlusYYGate,
    iSwapGate,
)
from qiskit.transpiler import InstructionProperties, Target

from openqcs.forest.quilc.errors import CompileError

# Rigetti's RZ is a frame change: free and instantaneous.
RZ_DURATION_NS = 0.0


class XYGate(Gate):  # type: ignore[misc]  # qiskit is untyped
    """Quil's XY(θ): qiskit's XXPlusYYGate with the opposite angle (and β = 0)."""

    def __init__(self, theta: Any) -> None:
        super().__init__("xy", 2, [theta])

    def _define(self) -> None:
        circuit = QuantumCircuit(2)
        circuit.append(XXPlusYYGate(-self.params[0], 0), [0, 1])
        self.definition = circuit

    def inverse(self, annotated: bool = False) -> XYGate:
        return XYGate(-self.params[0])


def _register_equivalences() -> None:
    """Teach qiskit's basis translator to reach XY (from iSWAP, which qiskit reaches from CX) and
    to leave it (through its definition), so XY-only edges are usable."""
    theta = Parameter("theta")
    to_xy = QuantumCircuit(2)
    to_xy.append(XYGate(math.pi), [0, 1])  # XY(pi) is exactly iSWAP
    SessionEquivalenceLibrary.add_equivalence(iSwapGate(), to_xy)
    SessionEquivalenceLibrary.add_equivalence(XYGate(theta), XYGate(theta).definition)


_register_equivalences()


@dataclass(frozen=True, slots=True)
class GateInfo:
    fidelity: float
    duration: float  # ns


@dataclass
class Device:
    ids: list[int]  # dense index -> device qubit id
    one_q: dict[int, dict[str, GateInfo]]  # dense index -> qiskit gate name -> info
    two_q: dict[tuple[int, int], dict[str, GateInfo]]  # (a, b) dense, a < b
    index: dict[int, int] = field(default_factory=dict)  # device id -> dense index

    def __post_init__(self) -> None:
        self.index = {q: i for i, q in enumerate(self.ids)}

    def info(self, name: str, qubits: tuple[int, ...]) -> GateInfo | None:
        if len(qubits) == 1:
            return self.one_q.get(qubits[0], {}).get(name)
        if len(qubits) != 2:
            return None  # only pairs have calibrated gates
        a, b = sorted(qubits)
        return self.two_q.get((a, b), {}).get(name)


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else default


def _one_q_name(gate: dict[str, Any]) -> str | None:
    op, params = gate.get("operator"), gate.get("parameters") or []
    if gate.get("operator_type") == "measure" or op == "MEASURE":
        return "measure"
    if op == "RZ":
        return "rz"
    if op == "RX" and params and isinstance(params[0], (int, float)):
        angle = float(params[0])
        for name, want in (("sx", math.pi / 2), ("sxdg", -math.pi / 2), ("x", math.pi), ("x", -math.pi)):
            if math.isclose(angle, want, abs_tol=1e-9):
                return name
    return None


_TWO_Q = {"CZ": "cz", "CPHASE": "cp", "XY": "xy"}


def parse_device(target_device: Any) -> Device:
    """Read the TargetDevice JSON; raise CompileError when it is not one."""
    isa = target_device.get("isa") if isinstance(target_device, dict) else None
    if not isinstance(isa, dict) or not isinstance(isa.get("1Q"), dict):
        raise CompileError("target_device must be a TargetDevice with an isa holding \"1Q\" and \"2Q\" objects")
    one_q: dict[int, dict[str, GateInfo]] = {}
    for key, site in isa["1Q"].items():
        if not isinstance(site, dict) or site.get("dead"):
            continue
        try:
            qubit = int(site.get("id", key))
        except (TypeError, ValueError):
            raise CompileError(f"target_device qubit {key!r} has no integer id") from None
        gates: dict[str, GateInfo] = {}
        for gate in site.get("gates") or []:
            name = _one_q_name(gate) if isinstance(gate, dict) else None
            if name and name not in gates:
                gates[name] = GateInfo(_number(gate.get("fidelity"), 1.0), _number(gate.get("duration"), 0.0))
        one_q[qubit] = gates
    ids = sorted(one_q)
    dense = {q: i for i, q in enumerate(ids)}
    two_q: dict[tuple[int, int], dict[str, GateInfo]] = {}
    for key, edge in (isa.get("2Q") or {}).items():
        if not isinstance(edge, dict) or edge.get("dead"):
            continue
        pair = edge.get("ids") or str(key).split("-")
        try:
            a, b = (int(q) for q in pair)
        except (TypeError, ValueError):
            raise CompileError(f"target_device edge {key!r} does not name two qubits") from None
        if a not in dense or b not in dense or a == b:
            continue  # an edge to a dead qubit is dead
        gates = {}
        for gate in edge.get("gates") or []:
            name = _TWO_Q.get(str(gate.get("operator"))) if isinstance(gate, dict) else None
            if name and name not in gates:
                gates[name] = GateInfo(_number(gate.get("fidelity"), 1.0), _number(gate.get("duration"), 0.0))
        if gates:
            low, high = sorted((dense[a], dense[b]))
            two_q[(low, high)] = gates
    if not ids:
        raise CompileError("the target device has no live qubits")
    return Device(ids, {dense[q]: g for q, g in one_q.items()}, two_q)


def _props(info: GateInfo) -> InstructionProperties:
    return InstructionProperties(error=max(0.0, 1.0 - info.fidelity), duration=info.duration * 1e-9)


def build_target(device: Device) -> Target:
    target = Target(num_qubits=len(device.ids))
    theta = Parameter("theta")
    singles = {"rz": RZGate(theta), "sx": SXGate(), "sxdg": SXdgGate(), "x": XGate(), "measure": Measure()}
    for name, gate in singles.items():
        sites = {(q,): _props(g[name]) for q, g in device.one_q.items() if name in g}
        if name == "rz":  # RZ is virtual on Rigetti hardware
            sites = {(q,): InstructionProperties(error=0.0, duration=0.0) for q, g in device.one_q.items() if name in g}
        if sites:
            target.add_instruction(gate, sites)
    target.add_instruction(Reset(), {(q,): None for q in device.one_q})
    doubles = {"cz": CZGate(), "cp": CPhaseGate(theta), "xy": XYGate(theta)}
    for name, gate in doubles.items():
        pair_sites: dict[tuple[int, ...], InstructionProperties] = {}
        for (a, b), gates in device.two_q.items():
            if name in gates:
                pair_sites[(a, b)] = pair_sites[(b, a)] = _props(gates[name])
        if pair_sites:
            target.add_instruction(gate, pair_sites, name=name)
    return target
