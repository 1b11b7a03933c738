"""The simulation entry points the translation service and the job worker call."""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from cachetools import LRUCache, cached

from openqcs.errors import InvalidArgument
from openqcs.simulator import noise as noise_mod
from openqcs.simulator.device import Device, device_from_isa
from openqcs.simulator.engine import Readout, choose_engine, get_engine
from openqcs.simulator.ir import DelayOp, GateOp, MeasureOp, Memory, ParsedProgram, ResetOp
from openqcs.simulator.native import check_natives
from openqcs.simulator.program import parse_program
from openqcs.simulator.timeline import longest_timeline

Isa = dict[str, Any]  # the REST InstructionSetArchitecture JSON

MAX_SHOTS = 1_000_000
MAX_QUBITS = 26  # a 2^26 state vector is 1 GiB; more would exhaust a worker's memory
INTEGER_TYPES = ("BIT", "OCTET", "INTEGER")


@dataclass(frozen=True)
class ProgramInfo:
    readout: dict[str, int]  # register read out -> length
    parameters: dict[str, tuple[str, int]]  # other declared regions -> (type, length)
    qubits: tuple[int, ...]  # physical qubits the program uses
    regions: dict[str, tuple[str, int]]  # every declared region -> (type, length)


@dataclass
class RunResult:
    readout: Readout  # register -> int64 array (shots, length)
    memory: dict[str, list[float]]
    duration_us: int


def device_of(isa: Isa, key: Hashable | None = None) -> Device:
    """The device model of an ISA. ``key`` names that ISA for as long as it stays the same (the
    processor's ISA version id): calls with the same key share one model. Without a key it is
    built again (about 5 ms for Aspen-M-3's 80 qubits)."""
    return device_from_isa(isa) if key is None else _keyed_device(isa, key)


@cached(LRUCache(maxsize=32), key=lambda isa, key: key, lock=threading.Lock())
def _keyed_device(isa: Isa, key: Hashable) -> Device:
    return device_from_isa(isa)


def check_program(quil: str, isa: Isa, *, isa_key: Hashable | None = None) -> ProgramInfo:
    """Parse and check a program against a processor's ISA; raise InvalidArgument when it cannot
    run. ``isa_key``: see ``device_of``; with one, a program that passed is not checked again
    (every parametric re-run submits the same program)."""
    if isa_key is None:
        return _check(quil, isa, None)
    return _checked(quil, isa, isa_key)


@cached(LRUCache(maxsize=256), key=lambda quil, isa, key: (quil, key), lock=threading.Lock())
def _checked(quil: str, isa: Isa, key: Hashable) -> ProgramInfo:
    return _check(quil, isa, key)


def _check(quil: str, isa: Isa, key: Hashable | None) -> ProgramInfo:
    program = _parse(quil)
    check_against(program, device_of(isa, key))
    return ProgramInfo(dict(program.readout), dict(program.parameters), tuple(program.qubits), dict(program.regions))


def run_program(quil: str, isa: Isa, shots: int, memory: dict[str, list[float]], *,
                noiseless: bool = False, seed: int | None = None, engine: str = "auto",
                enforce_isa: bool = True, isa_key: Hashable | None = None) -> RunResult:
    """Run on the processor; ``enforce_isa=False`` lets any gate through (engine tests, the QVM's
    way), still on live qubits and edges and with the calibration's noise. ``engine="auto"`` picks
    one per job (``engine.choose_engine``). ``isa_key``: see ``device_of``."""
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 0 or shots > MAX_SHOTS:
        raise InvalidArgument(f"shots must be an integer from 0 to {MAX_SHOTS}, got {shots!r}")
    program = _parse(quil)
    device = device_of(isa, isa_key)
    check_against(program, device, natives=enforce_isa)
    mem = initial_memory(program, memory or {})
    noise = None if noiseless else noise_mod.noise_for(device, program)
    if engine == "auto":
        engine = choose_engine(program, noise, mem)
    result = get_engine(engine).run(program, mem, shots, noise, seed)
    final = {name: [float(x) for x in values] for name, values in result.memory.items()
             if name not in program.readout}
    return RunResult(result.readout, final, duration_us(program, shots))


@lru_cache(maxsize=256)
def _parse(quil: str) -> ParsedProgram:
    # Parsed programs are read-only (memory is passed per run), so sharing them is safe.
    return parse_program(quil)


def check_against(program: ParsedProgram, device: Device, natives: bool = True) -> None:
    """The program fits the processor: at most MAX_QUBITS, live qubits and edges, and (with
    ``natives``) only the gates the ISA lists on each site (``native.py``)."""
    name = device.name or "this processor"
    if len(program.qubits) > MAX_QUBITS:
        raise InvalidArgument(f"the program uses {len(program.qubits)} qubits; simulated processors run "
                              f"programs on at most {MAX_QUBITS} qubits")
    qubit_ops: dict[int, str] = {}
    for op in program.ops:
        if isinstance(op, (GateOp, MeasureOp, ResetOp, DelayOp)):
            qs = op.qubits if not isinstance(op, MeasureOp) else (op.qubit,)
            for q in qs:
                qubit_ops.setdefault(program.qubits[q], op.text)
    for physical, text in qubit_ops.items():
        if physical not in device.qubits:
            raise program.error(text, f"qubit {physical} is not live on {name}")
    for op in program.ops:
        if not isinstance(op, GateOp) or len(op.qubits) < 2:
            continue
        phys = [program.qubits[q] for q in op.qubits]
        if len(phys) == 2:
            if frozenset(phys) not in device.edges:
                raise program.error(op.text, f"qubits {phys[0]} and {phys[1]} are not coupled by a live edge "
                                             f"of {name} (2-qubit gates need one)")
        elif not _connected(phys, device):
            raise program.error(op.text, f"qubits {', '.join(map(str, phys))} are not connected on {name}")
    if natives:
        check_natives(program, device)


def _connected(qubits: list[int], device: Device) -> bool:
    seen, todo = {qubits[0]}, [qubits[0]]
    while todo:
        q = todo.pop()
        for other in qubits:
            if other not in seen and frozenset((q, other)) in device.edges:
                seen.add(other)
                todo.append(other)
    return len(seen) == len(qubits)


def initial_memory(program: ParsedProgram, values: dict[str, list[float]]) -> Memory:
    """Zeroed memory for every declared region, patched with an execution's values (sent as reals)."""
    mem = {name: np.zeros(length, dtype=float) for name, (_, length) in program.regions.items()}
    for name, given in check_memory(program.regions, values).items():
        mem[name][: len(given)] = given
    return mem


def check_memory(regions: dict[str, tuple[str, int]], values: dict[str, list[float]]) -> dict[str, list[float]]:
    """An execution's memory values as floats, checked against the program's declared regions
    (name -> (type, length)); InvalidArgument names the first value that does not fit."""
    checked = {}
    for name, vals in values.items():
        if name not in regions:
            known = ", ".join(sorted(regions)) or "nothing"
            raise InvalidArgument(f"memory '{name}' is not declared by the program (it declares {known})")
        kind, length = regions[name]
        given = list(vals)
        if len(given) > length:
            raise InvalidArgument(f"{len(given)} values for '{name}', declared with length {length}")
        floats = []
        for i, raw in enumerate(given):
            try:
                v = float(raw)
            except (TypeError, ValueError):
                raise InvalidArgument(f"memory value {name}[{i}] is not a number: {raw!r}") from None
            if not math.isfinite(v):
                raise InvalidArgument(f"memory value {name}[{i}] is not a finite number")
            if kind in INTEGER_TYPES and v != int(v):
                raise InvalidArgument(f"memory value {name}[{i}] = {v} is not an integer, but {name} is {kind}")
            floats.append(v)
        checked[name] = floats
    return checked


def duration_us(program: ParsedProgram, shots: int) -> int:
    """Estimated processor time: the longest qubit timeline of one pass, times the shots."""
    return max(1, math.ceil(longest_timeline(program) * 1e6 * shots)) if shots else 0
