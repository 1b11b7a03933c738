"""``quil_to_native_quil``: place, route and translate a program onto the device its request
describes, with qiskit's preset transpiler on a ``Target`` built from the TargetDevice.

A program without anything between its gates (the usual case) is one circuit, compiled freely:
qiskit picks the placement and the qubits may end permuted (``final_rewiring``). A program with
control flow, mid-program PRAGMAs/FENCEs/DELAYs/RESET or a PRESERVE_BLOCK is several circuits:
all of them use one placement (identity placement when a PRESERVE_BLOCK is present, as its
instructions are kept verbatim, or with PRAGMA INITIAL_REWIRING "NAIVE"), and wherever routing
permuted the qubits, SWAPs over live edges
restore the placement at the circuit's end so that the instructions in between see the qubits
where they expect them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import msgspec
from qiskit import transpile
from qiskit.circuit import QuantumCircuit
from qiskit.transpiler import CouplingMap, Target, TranspilerError
from qiskit.transpiler.passes.routing.algorithms import ApproximateTokenSwapper
from quil.instructions import Delay, Fence, Qubit

from openqcs.forest.quilc.errors import CompileError, CompileTimeout
from openqcs.forest.quilc.metadata import metadata
from openqcs.forest.quilc.quil_in import Parsed, Passthrough, read_program
from openqcs.forest.quilc.quil_out import Native, emit
from openqcs.forest.quilc.target import Device, build_target, parse_device

OPTIMIZATION_LEVEL = 2
SEED = 1234  # deterministic output for a given request


@dataclass
class Compiled:
    quil: str
    initial: list[int]  # logical qubit -> device qubit id, at the start
    final: list[int]  # logical qubit -> device qubit id, at the end
    qubit_ids: list[int]  # logical qubit -> the id the input used
    natives: list[Native]
    swaps: int
    metadata: dict[str, Any] | None


@lru_cache(maxsize=8)
def _device(encoded: bytes) -> tuple[Device, Target]:
    device = parse_device(msgspec.json.decode(encoded))
    return device, build_target(device)


def device_of(target_device: object) -> tuple[Device, Target]:
    """Parse (and cache: pyquil sends the same device with every compile) a TargetDevice."""
    try:
        encoded = msgspec.json.encode(target_device, order="sorted")
    except (TypeError, msgspec.EncodeError):
        raise CompileError("target_device is not a JSON object") from None
    return _device(encoded)


class _Progress:
    """transpile's callback: enforce the deadline and count the SWAPs routing inserts."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline, self.swaps, self._last = deadline, 0, 0

    def check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise CompileTimeout("compilation did not finish within the request's client_timeout; "
                                 "raise the compiler timeout (get_qc(compiler_timeout=...)) "
                                 "or compile a smaller program")

    def __call__(self, pass_: Any, dag: Any, time: float, property_set: Any, count: int) -> None:
        self.check()
        now = dag.count_ops().get("swap", 0)
        name = type(pass_).__name__
        if "Sabre" in name or "Swap" in name:
            self.swaps += max(0, now - self._last)
        self._last = now


def _transpile(circuit: QuantumCircuit, target: Target, progress: _Progress, layout: list[int] | None,
               zero: bool, level: int | None = None) -> QuantumCircuit:
    try:
        return transpile(circuit, target=target, optimization_level=level or OPTIMIZATION_LEVEL, seed_transpiler=SEED,
                         initial_layout=layout, callback=progress, qubits_initially_zero=zero)
    except TranspilerError as exc:
        raise CompileError(f"cannot place and route the program on this device: {exc.message}") from None


def _check(parsed: Parsed, device: Device, protoquil: bool) -> None:
    used = len(parsed.qubit_ids)
    if used > len(device.ids):
        raise CompileError(f"the program uses {used} qubits but the device has only {len(device.ids)} live qubits")
    if protoquil and parsed.control:
        raise CompileError("protoquil programs cannot hold classical control (LABEL, JUMP, MOVE ...); "
                           "compile with protoquil=False")
    multi = any(inst.operation.num_qubits > 1 for p in parsed.pieces if isinstance(p, QuantumCircuit)
                for inst in p.data if inst.operation.name not in ("barrier", "measure"))
    if multi and not device.two_q:
        raise CompileError("the program has multi-qubit gates but the device has no live 2-qubit edges")


def _identity_layout(parsed: Parsed, device: Device) -> list[int]:
    missing = [q for q in parsed.qubit_ids if q not in device.index]
    if missing:
        raise CompileError(f"PRAGMA PRESERVE_BLOCK and PRAGMA INITIAL_REWIRING \"NAIVE\" keep qubits where they "
                           f"are, but qubit(s) {missing} are not live on this device")
    return [device.index[q] for q in parsed.qubit_ids]


def _restore(target: Target, device: Device, now: list[int], want: list[int],
             progress: _Progress) -> QuantumCircuit | None:
    """Native SWAPs (over live edges) that move each logical qubit from ``now`` back to ``want``."""
    if now == want:
        return None
    graph = CouplingMap(target.build_coupling_map().get_edges()).graph.to_undirected()
    try:
        swaps = ApproximateTokenSwapper(graph, seed=SEED).map(dict(zip(now, want, strict=True)))
    except Exception:
        raise CompileError("cannot restore the qubit placement between blocks on this device") from None
    circuit = QuantumCircuit(len(device.ids))
    for a, b in swaps:
        circuit.swap(a, b)
    progress.swaps += len(swaps)
    # Level 1: level 2 and up would elide the SWAPs into a relabelling, which is what we undo here.
    out = _transpile(circuit, target, progress, list(range(len(device.ids))), False, level=1)
    if out.layout is not None and out.layout.final_index_layout() != list(range(len(device.ids))):
        raise CompileError("internal error: restoring the qubit placement between blocks failed")
    return out


def _place(item: Passthrough, ids: list[int], layout: list[int] | None) -> str:
    if not item.qubits:
        return item.text
    assert layout is not None  # compile_quil fixes the placement before a FENCE/DELAY on qubits
    qubits = [Qubit.Fixed(ids[layout[q]]) for q in item.qubits]
    delay = item.instruction
    if isinstance(delay, Delay):
        return Delay(delay.duration, delay.frame_names, qubits).to_quil()
    return Fence(qubits).to_quil()


def _final_rewiring(compiled: Compiled, device: Device) -> list[int]:
    """Indexed by the input's qubit ids; ids the input left unused get the remaining qubits."""
    by_id = dict(zip(compiled.qubit_ids, compiled.final, strict=True))
    spare = iter([q for q in device.ids if q not in set(compiled.final)])
    size = max(compiled.qubit_ids, default=-1) + 1
    return [by_id[i] if i in by_id else next(spare, 0) for i in range(size)]


def compile_quil(source: str, target_device: object, *, protoquil: bool = False,
                 deadline: float | None = None) -> Compiled:
    """Compile Quil (or OpenQASM 2.0) text; raise CompileError saying what is wrong."""
    device, target = device_of(target_device)
    parsed = read_program(source)
    _check(parsed, device, protoquil)
    progress = _Progress(deadline)
    ids = device.ids
    clbits = list(parsed.clbits.values())
    circuits = [p for p in parsed.pieces if isinstance(p, QuantumCircuit)]
    lines = list(parsed.declarations)
    natives: list[Native] = []
    # Free placement is only known after the transpile: a FENCE/DELAY before it needs a fixed one.
    head = parsed.pieces[:parsed.pieces.index(circuits[0])] if circuits else []
    free = len(circuits) == 1 and not parsed.has_preserve and not any(p.qubits for p in head)
    if parsed.has_preserve or parsed.naive:
        layout = _identity_layout(parsed, device)
    elif free or not circuits:
        layout = None
    else:
        whole = circuits[0].copy_empty_like()
        for c in circuits:
            whole.compose(c, inplace=True)
        # only for its placement: its SWAPs are not in the output, so they are not counted
        chooser = _transpile(whole, target, _Progress(deadline), None, True)
        layout = chooser.layout.initial_index_layout(filter_ancillas=True)
    if layout is None and not circuits:
        layout = [device.index.get(q, i) for i, q in enumerate(parsed.qubit_ids)]
    initial = final = layout
    zero = True  # qubits still in |0>: lets qiskit drop RESETs there
    for piece in parsed.pieces:
        progress.check()
        if isinstance(piece, Passthrough):
            lines.append(_place(piece, ids, final if final is not None else layout))
            zero = zero and piece.keeps_zero
            continue
        out = _transpile(piece, target, progress, layout, zero)
        start = out.layout.initial_index_layout(filter_ancillas=True)
        end = out.layout.final_index_layout(filter_ancillas=True)
        emit(out, ids, clbits, lines, natives)
        if free:
            initial, final = start, end
        else:
            assert layout is not None  # fixed unless the program is one circuit compiled freely
            restore = _restore(target, device, end, layout, progress)
            if restore is not None:
                emit(restore, ids, [], lines, natives)
        zero = False
    assert initial is not None and final is not None  # a free placement is set by its one circuit
    compiled = Compiled("\n".join(lines) + "\n", [ids[q] for q in initial], [ids[q] for q in final],
                        parsed.qubit_ids, natives, progress.swaps, None)
    if protoquil:
        compiled.metadata = metadata(natives, device, _final_rewiring(compiled, device), progress.swaps)
    return compiled
