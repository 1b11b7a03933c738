"""A transpiled qiskit circuit (on dense physical qubits) -> native Quil lines on device ids."""

from __future__ import annotations

from dataclasses import dataclass

from qiskit.circuit import QuantumCircuit

from openqcs.forest.quilc.errors import CompileError
from openqcs.forest.quilc.expr import Value, angle_text, wrap_angle


@dataclass(frozen=True, slots=True)
class Native:
    """One emitted instruction, kept for the metadata (qiskit gate name, dense qubits)."""

    name: str
    qubits: tuple[int, ...]


_RX = {"sx": "pi/2", "sxdg": "-pi/2", "x": "pi"}


def _angle(value: Value, wrap: bool = True) -> str:
    """RZ and CPHASE have period 2pi (up to global phase); XY does not."""
    if wrap and isinstance(value, (int, float)):
        return angle_text(wrap_angle(float(value)))
    return angle_text(value)


def _is_zero(angle: Value) -> bool:
    return isinstance(angle, (int, float)) and abs(wrap_angle(float(angle))) < 1e-12


def emit(circuit: QuantumCircuit, ids: list[int], clbits: list[tuple[str, int] | None],
         lines: list[str], natives: list[Native]) -> None:
    """Append ``circuit``'s instructions to ``lines``; ``clbits[i]`` is the memory of clbit i.

    Consecutive RZs on a qubit are summed (qiskit leaves parametric ones unmerged), and RZs that
    come to zero are dropped."""
    pending: dict[int, object] = {}  # dense qubit -> RZ angle not yet written

    def flush(qubit: int) -> None:
        angle = pending.pop(qubit, None)
        if angle is not None and not _is_zero(angle):
            lines.append(f"RZ({_angle(angle)}) {ids[qubit]}")
            natives.append(Native("rz", (qubit,)))

    for inst in circuit.data:
        op = inst.operation
        dense = tuple(circuit.find_bit(q).index for q in inst.qubits)
        name = op.name
        if name == "rz":
            pending[dense[0]] = pending.get(dense[0], 0.0) + op.params[0]
            continue
        if name in ("barrier", "id", "delay"):
            continue
        for q in dense:
            flush(q)
        qs = " ".join(str(ids[q]) for q in dense)
        if name in ("sx", "sxdg", "x"):
            text = f"RX({_RX[name]}) {qs}"
        elif name == "cz":
            text = f"CZ {qs}"
        elif name == "cp":
            text = f"CPHASE({_angle(op.params[0])}) {qs}"
        elif name == "xy":
            text = f"XY({_angle(op.params[0], wrap=False)}) {qs}"
        elif name == "measure":
            ref = clbits[circuit.find_bit(inst.clbits[0]).index]
            text = f"MEASURE {qs} {ref[0]}[{ref[1]}]" if ref else f"MEASURE {qs}"
        elif name == "reset":
            text = f"RESET {qs}"
        else:
            raise CompileError(f"internal error: the compiled program holds a non-native {name} gate")
        lines.append(text)
        natives.append(Native(name, dense))
    for q in sorted(pending):
        flush(q)
