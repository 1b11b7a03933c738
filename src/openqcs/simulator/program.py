"""Quil text -> the intermediate form the engines run (``ir.py``), in small passes: parse, read the
declarations, turn each instruction into an op (``instructions.py``), relabel the qubits densely
(the i-th touched qubit, in ascending order, becomes i), resolve jumps, then note what the ops
need of an engine. Callers outside the simulator import the IR from here too.
"""

from __future__ import annotations

import dataclasses

import quil
from quil.program import Program

from openqcs.errors import InvalidArgument
from openqcs.simulator.instructions import PendingJump, Scope, Step, collect
from openqcs.simulator.ir import (
    ClassicalOp,
    DelayOp,
    FenceOp,
    GateOp,
    HaltOp,
    JumpOp,
    MeasureOp,
    Memory,
    Op,
    ParsedProgram,
    Pragma,
    Ref,
    ResetOp,
    instruction_error,
    line_of,
)

__all__ = [
    "ClassicalOp", "DelayOp", "FenceOp", "GateOp", "HaltOp", "JumpOp", "MeasureOp", "Memory", "Op",
    "ParsedProgram", "Pragma", "Ref", "ResetOp", "instruction_error", "line_of", "parse_program",
]


def parse_program(source: str) -> ParsedProgram:
    """Parse Quil text; raise InvalidArgument naming the line and instruction for anything we cannot run."""
    program = _parse(source)
    scope = Scope(source, _regions(program, source), program.gate_definitions)
    steps = collect(program.body_instructions, scope)
    qubits = sorted(_touched(steps.steps))
    relabelled, moved = _relabel(steps.steps, qubits)
    labels = {name: moved[index] for name, index in steps.labels.items()}
    ops = _resolve_jumps(relabelled, labels, source)
    out = ParsedProgram(source, qubits, ops, scope.regions, {}, {}, labels=labels, pragmas=steps.pragmas)
    _note_needs(out)
    return out


def _parse(source: str) -> Program:
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgument("the program is empty")
    try:
        return Program.parse(source)
    except quil.QuilError as exc:
        raise InvalidArgument(f"the program does not parse: {exc}") from None


def _regions(program: Program, source: str) -> dict[str, tuple[str, int]]:
    regions: dict[str, tuple[str, int]] = {}
    for name, decl in program.declarations.items():
        if decl.sharing is not None:
            raise instruction_error(source, decl.to_quil_or_debug(), "DECLARE ... SHARING is not supported")
        regions[name] = (decl.size.data_type.to_quil(), int(decl.size.length))
    return regions


def _touched(steps: list[Step]) -> set[int]:
    """Physical qubits the program acts on (a delayed qubit holds up those that meet it later; a
    FENCE alone touches nothing)."""
    touched: set[int] = set()
    for op in steps:
        if isinstance(op, GateOp | ResetOp | DelayOp):
            touched.update(op.qubits)
        elif isinstance(op, MeasureOp):
            touched.add(op.qubit)
    return touched


def _relabel(steps: list[Step], qubits: list[int]) -> tuple[list[Step], list[int]]:
    """The steps on dense qubits, and where each old step index now is (dropped FENCEs and
    DELAYs shift the steps after them, and the labels that point there)."""
    dense = {q: i for i, q in enumerate(qubits)}
    every = tuple(range(len(qubits)))
    out: list[Step] = []
    moved: list[int] = []
    for op in steps:
        moved.append(len(out))
        if isinstance(op, DelayOp | FenceOp):
            # FENCE on a qubit the program never uses has no effect; no qubits means all of them.
            dq = tuple(dense[q] for q in op.qubits if q in dense) if op.qubits else every
            if dq:
                out.append(dataclasses.replace(op, qubits=dq))
        elif isinstance(op, GateOp):
            out.append(dataclasses.replace(op, qubits=tuple(dense[q] for q in op.qubits)))
        elif isinstance(op, ResetOp):
            out.append(dataclasses.replace(op, qubits=tuple(dense[q] for q in op.qubits) or every))
        elif isinstance(op, MeasureOp):
            out.append(dataclasses.replace(op, qubit=dense[op.qubit]))
        else:
            out.append(op)
    moved.append(len(out))  # a label after the last step
    return out, moved


def _resolve_jumps(steps: list[Step], labels: dict[str, int], source: str) -> list[Op]:
    ops: list[Op] = []
    for op in steps:
        if isinstance(op, PendingJump):
            if op.label not in labels:
                raise instruction_error(source, op.text, f"label @{op.label} is not defined")
            ops.append(JumpOp(labels[op.label], op.cond, op.when, op.text))
        else:
            ops.append(op)
    return ops


def _note_needs(program: ParsedProgram) -> None:
    """Flags for the engines and the registers read out (``ro`` always, if declared)."""
    measured: set[int] = set()
    readout = {"ro"} if "ro" in program.regions else set()
    for op in program.ops:
        if isinstance(op, GateOp):
            program.mid_measure |= bool(measured.intersection(op.qubits))
        elif isinstance(op, MeasureOp):
            program.mid_measure |= op.qubit in measured
            measured.add(op.qubit)
            if op.ref is not None:
                readout.add(op.ref[0])
        elif isinstance(op, ResetOp):
            program.has_reset = True
        elif isinstance(op, JumpOp | HaltOp | ClassicalOp):
            program.has_control = True
    program.readout = {name: program.regions[name][1] for name in sorted(readout)}
    program.parameters = {n: r for n, r in program.regions.items() if n not in program.readout}
