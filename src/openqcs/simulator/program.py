"""Quil text -> a small intermediate form the engines run.

Qubits are relabelled densely (the i-th touched qubit, in ascending order, becomes i), gate
matrices come from our own table (``gates.py``) or DEFGATE, and memory references stay symbolic
until an execution supplies its memory map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import quil.program

from openqcs.errors import InvalidArgument
from openqcs.simulator import gates
from openqcs.simulator.classical import classical_op
from openqcs.simulator.quil_expr import ExpressionError, compile_expression, enum_name, real

Memory = dict[str, np.ndarray]
Ref = tuple[str, int]

READOUT_TYPES = ("BIT", "OCTET", "INTEGER")
IGNORED = {"Pragma", "Nop", "Declaration", "GateDefinition", "Label"}


@dataclass(slots=True)
class GateOp:
    name: str
    qubits: tuple[int, ...]
    matrix: np.ndarray | None  # None when a parameter reads memory
    build: Callable[[Memory], np.ndarray] | None
    virtual: bool
    text: str
    native_form: bool = True  # no modifiers, not a DEFGATE: may be a calibrated gate


@dataclass(slots=True)
class MeasureOp:
    qubit: int
    ref: Ref | None
    text: str


@dataclass(slots=True)
class ResetOp:
    qubits: tuple[int, ...]
    text: str


@dataclass(slots=True)
class DelayOp:
    """The qubits wait ``seconds`` (relaxing as they do); no qubits means every qubit."""

    qubits: tuple[int, ...]
    seconds: float
    text: str


@dataclass(slots=True)
class FenceOp:
    """The qubits' timelines meet (the later ones wait); no qubits means every qubit."""

    qubits: tuple[int, ...]
    text: str


@dataclass(slots=True)
class JumpOp:
    target: int  # index into ops
    cond: Ref | None
    when: bool
    text: str


@dataclass(slots=True)
class ClassicalOp:
    apply: Callable[[Memory], None]
    text: str


@dataclass(slots=True)
class HaltOp:
    text: str = "HALT"


@dataclass(frozen=True, slots=True)
class Pragma:
    name: str
    arguments: tuple[str, ...]
    data: str | None
    text: str


@dataclass
class ParsedProgram:
    source: str
    qubits: list[int]  # dense index -> physical qubit
    ops: list
    regions: dict[str, tuple[str, int]]  # name -> (type, length)
    readout: dict[str, int]
    parameters: dict[str, tuple[str, int]]
    has_control: bool = False  # jumps or classical instructions: needs the per-shot path
    has_reset: bool = False
    mid_measure: bool = False  # something acts on a qubit after it was measured
    labels: dict[str, int] = field(default_factory=dict)
    pragmas: list[Pragma] = field(default_factory=list)  # kept for noise pragmas (ADD-KRAUS, READOUT-POVM)

    @property
    def sampleable(self) -> bool:
        """All shots may be drawn from one final state (given an exact or noiseless run)."""
        return not (self.has_control or self.has_reset or self.mid_measure)

    def gate_matrix(self, op: GateOp, memory: Memory) -> np.ndarray:
        if op.matrix is not None:
            return op.matrix
        try:
            return op.build(memory)
        except (ExpressionError, ZeroDivisionError, OverflowError, ValueError) as exc:
            raise self.error(op.text, f"cannot evaluate its parameters: {exc}") from None

    def line_of(self, text: str) -> int | None:
        return line_of(self.source, text)

    def error(self, text: str, message: str) -> InvalidArgument:
        return instruction_error(self.source, text, message)


def line_of(source: str, text: str) -> int | None:
    """The first source line holding the instruction ``text`` (only computed for error messages)."""
    from quil.instructions import Instruction

    for number, line in enumerate(source.splitlines(), start=1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        if body == text:
            return number
        try:
            if Instruction.parse(body).to_quil_or_debug() == text:
                return number
        except Exception:  # noqa: BLE001 - continuation lines of DEFGATE etc. do not parse alone
            continue
    return None


def instruction_error(source: str, text: str, message: str) -> InvalidArgument:
    line = line_of(source, text)
    where = f"line {line}: " if line else ""
    return InvalidArgument(f"{where}`{text}`: {message}")


def _ref(mref) -> Ref:
    return (mref.name, mref.index)


def _qubit(q, text: str, source: str) -> int:
    if type(q).__name__ != "Fixed":
        raise instruction_error(source, text, "qubits must be fixed integers (placeholders and variables are not allowed)")
    return int(q._0)


def parse_program(source: str) -> ParsedProgram:
    """Parse Quil text; raise InvalidArgument naming the line and instruction for anything we cannot run."""
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgument("the program is empty")
    try:
        prog = quil.program.Program.parse(source)
    except Exception as exc:  # noqa: BLE001 - quil raises several error types; all are the user's
        raise InvalidArgument(f"the program does not parse: {exc}") from None
    regions: dict[str, tuple[str, int]] = {}
    for name, decl in prog.declarations.items():
        if decl.sharing is not None:
            raise instruction_error(source, decl.to_quil_or_debug(), "DECLARE ... SHARING is not supported")
        regions[name] = (enum_name(decl.size.data_type), int(decl.size.length))
    lengths = {name: length for name, (_, length) in regions.items()}
    defgates = dict(prog.gate_definitions)
    body = list(prog.body_instructions)

    physical: set[int] = set()
    raw: list[tuple] = []  # (kind, payload, text) with physical qubits, resolved later
    labels: dict[str, int] = {}
    pragmas: list[Pragma] = []
    for ins in body:
        kind = type(ins).__name__
        inner = getattr(ins, "_0", None)
        text = ins.to_quil_or_debug()
        if kind == "Label":
            labels[inner.target.to_quil_or_debug().lstrip("@")] = len(raw)
            continue
        if kind == "Pragma":
            pragmas.append(Pragma(inner.name, tuple(a.to_quil() for a in inner.arguments), inner.data, text))
            continue
        if kind in IGNORED:
            continue
        if kind == "Gate":
            qs = tuple(_qubit(q, text, source) for q in inner.qubits)
            if len(set(qs)) != len(qs):
                raise instruction_error(source, text, "a gate cannot act twice on the same qubit")
            physical.update(qs)
            raw.append(("gate", inner, text, qs))
        elif kind == "Measurement":
            q = _qubit(inner.qubit, text, source)
            physical.add(q)
            ref = None
            if inner.target is not None:
                ref = _ref(inner.target)
                _check_ref(ref, regions, text, source, READOUT_TYPES)
            raw.append(("measure", ref, text, (q,)))
        elif kind == "Reset":
            qs = () if inner.qubit is None else (_qubit(inner.qubit, text, source),)
            physical.update(qs)
            raw.append(("reset", None, text, qs))
        elif kind == "Delay":
            qs = tuple(_qubit(q, text, source) for q in inner.qubits)
            physical.update(qs)  # a delayed qubit holds up those that meet it later
            raw.append(("delay", _delay_seconds(inner, lengths, text, source), text, qs))
        elif kind == "Fence":
            raw.append(("fence", None, text, tuple(_qubit(q, text, source) for q in inner.qubits)))
        elif kind in ("Jump", "JumpWhen", "JumpUnless"):
            ref = None
            if kind != "Jump":
                ref = _ref(inner.condition)
                _check_ref(ref, regions, text, source)
            target = inner.target.to_quil_or_debug().lstrip("@")
            raw.append(("jump", (target, ref, kind == "JumpWhen"), text, ()))
        elif kind == "Halt":
            raw.append(("halt", None, text, ()))
        else:
            try:
                apply = classical_op(kind, inner, lengths)
            except ExpressionError as exc:
                raise instruction_error(source, text, str(exc)) from None
            if apply is None:
                raise instruction_error(source, text, f"{kind} instructions are not supported on this processor")
            raw.append(("classical", apply, text, ()))

    qubits = sorted(physical)
    dense = {q: i for i, q in enumerate(qubits)}
    ops: list = []
    measured: set[int] = set()
    readout_names: set[str] = set()
    out = ParsedProgram(source, qubits, ops, regions, {}, {}, labels=labels, pragmas=pragmas)
    for kind, payload, text, qs in raw:
        if kind in ("delay", "fence"):
            # FENCE on a qubit the program never uses has no effect; no qubits means all of them.
            dq = tuple(dense[q] for q in qs if q in dense) if qs else tuple(range(len(qubits)))
            if dq:
                ops.append(DelayOp(dq, payload, text) if kind == "delay" else FenceOp(dq, text))
            continue
        dq = tuple(dense[q] for q in qs)
        if kind == "gate":
            if measured.intersection(dq):
                out.mid_measure = True
            ops.append(_gate_op(payload, dq, text, defgates, lengths, source))
        elif kind == "measure":
            if measured.intersection(dq):
                out.mid_measure = True
            measured.update(dq)
            if payload is not None:
                readout_names.add(payload[0])
            ops.append(MeasureOp(dq[0], payload, text))
        elif kind == "reset":
            out.has_reset = True
            ops.append(ResetOp(dq or tuple(range(len(qubits))), text))
        elif kind == "jump":
            target, ref, when = payload
            if target not in labels:
                raise instruction_error(source, text, f"label @{target} is not defined")
            out.has_control = True
            ops.append(JumpOp(labels[target], ref, when, text))
        elif kind == "halt":
            out.has_control = True
            ops.append(HaltOp(text))
        else:
            out.has_control = True
            ops.append(ClassicalOp(payload, text))
    if "ro" in regions:
        readout_names.add("ro")
    out.readout = {name: regions[name][1] for name in sorted(readout_names)}
    out.parameters = {n: r for n, r in regions.items() if n not in out.readout}
    return out


MAX_DELAY = 1.0  # seconds; far past any qubit's T1


def _delay_seconds(inner, lengths: dict[str, int], text: str, source: str) -> float:
    try:
        fn, reads_memory = compile_expression(inner.duration, lengths)
        if reads_memory:
            raise ExpressionError("DELAY durations must be constants")
        seconds = real(fn({}, {}))
    except (ExpressionError, ZeroDivisionError, OverflowError, ValueError) as exc:
        raise instruction_error(source, text, str(exc)) from None
    if not 0 <= seconds <= MAX_DELAY:
        raise instruction_error(source, text, f"DELAY takes a duration from 0 to {MAX_DELAY} s, got {seconds}")
    return seconds


def _check_ref(ref: Ref, regions, text: str, source: str, types: tuple[str, ...] | None = None) -> None:
    name, index = ref
    if name not in regions:
        raise instruction_error(source, text, f"memory region {name!r} is not declared")
    kind, length = regions[name]
    if index >= length:
        raise instruction_error(source, text, f"{name}[{index}] is out of range: {name} is declared with length {length}")
    if types is not None and kind not in types:
        raise instruction_error(source, text, f"cannot measure into {name}, a {kind} region (use BIT, OCTET or INTEGER)")


def _gate_op(gate, qubits: tuple[int, ...], text: str, defgates: dict, lengths: dict[str, int], source: str) -> GateOp:
    name = gate.name
    modifiers = [enum_name(m) for m in gate.modifiers]
    if name in defgates:
        n_params, n_qubits, base = _defgate(defgates[name], text, source)
    elif name in gates.STANDARD:
        n_params, n_qubits, fn = gates.STANDARD[name]
        base = (lambda params, fn=fn: fn(*params))
    else:
        raise instruction_error(source, text, f"gate {name} is not supported (use a standard Quil gate or DEFGATE it)")
    want_params, want_qubits = gates.modified_shape(modifiers, n_params, n_qubits)
    if len(gate.parameters) != want_params:
        raise instruction_error(source, text, f"{name} takes {want_params} parameter(s), got {len(gate.parameters)}")
    if len(qubits) != want_qubits:
        raise instruction_error(source, text, f"{name} acts on {want_qubits} qubit(s), got {len(qubits)}")
    try:
        compiled = [compile_expression(p, lengths) for p in gate.parameters]
    except ExpressionError as exc:
        raise instruction_error(source, text, str(exc)) from None
    fns = [c for c, _ in compiled]

    def build(memory: Memory) -> np.ndarray:
        return gates.apply_modifiers(modifiers, base, [real(f(memory, {})) for f in fns])

    virtual = name in gates.VIRTUAL and not modifiers
    plain = not modifiers and name not in defgates
    if any(dep for _, dep in compiled):
        return GateOp(name, qubits, None, build, virtual, text, plain)
    try:
        matrix = build({})
    except (ExpressionError, ZeroDivisionError, OverflowError, ValueError) as exc:
        raise instruction_error(source, text, f"cannot evaluate its parameters: {exc}") from None
    return GateOp(name, qubits, matrix, None, virtual, text, plain)


def _defgate(definition, text: str, source: str):
    spec = definition.specification
    kind = type(spec).__name__
    params = list(definition.parameters)
    if kind == "Permutation":
        perm = [int(p) for p in spec._0]
        size = len(perm)
        matrix = np.zeros((size, size), dtype=complex)
        for col, row in enumerate(perm):
            matrix[row, col] = 1
        return 0, size.bit_length() - 1, (lambda _p: matrix)
    if kind != "Matrix":
        raise instruction_error(source, text, f"DEFGATE {definition.name} AS {kind.upper()} is not supported")
    rows = spec._0
    size = len(rows)
    if size < 2 or size & (size - 1) or any(len(r) != size for r in rows):
        raise instruction_error(source, text, f"DEFGATE {definition.name} is not a 2^n x 2^n matrix")
    try:
        entries = [[compile_expression(e, {})[0] for e in row] for row in rows]
    except ExpressionError as exc:
        raise instruction_error(source, text, f"DEFGATE {definition.name}: {exc}") from None

    def base(values) -> np.ndarray:
        env = dict(zip(params, values))
        m = np.array([[f({}, env) for f in row] for row in entries], dtype=complex)
        if not gates.is_unitary(m, atol=1e-6):
            raise ValueError(f"DEFGATE {definition.name} is not unitary for these parameters")
        return m

    return len(params), size.bit_length() - 1, base
