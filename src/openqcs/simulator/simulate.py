"""The simulation entry points the translation service and the job worker call."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from openqcs.errors import InvalidArgument
from openqcs.simulator import noise as noise_mod
from openqcs.simulator.device import Device, device_from_isa
from openqcs.simulator.engine import choose_engine, get_engine
from openqcs.simulator.native import check_natives
from openqcs.simulator.timeline import longest_timeline
from openqcs.simulator.program import DelayOp, GateOp, MeasureOp, ParsedProgram, ResetOp, parse_program

MAX_SHOTS = 1_000_000
MAX_QUBITS = 26  # a 2^26 state vector is 1 GiB; more would exhaust a worker's memory
INTEGER_TYPES = ("BIT", "OCTET", "INTEGER")


@dataclass(frozen=True)
class ProgramInfo:
    readout: dict[str, int]  # register read out -> length
    parameters: dict[str, tuple[str, int]]  # other declared regions -> (type, length)
    qubits: tuple[int, ...]  # physical qubits the program uses


@dataclass
class RunResult:
    readout: dict[str, np.ndarray]  # register -> int64 array (shots, length)
    memory: dict[str, list[float]]
    duration_us: int


_DEVICES: dict[int, tuple[dict, Device]] = {}


def device_of(isa: dict) -> Device:
    """Device for an ISA dict, cached by identity (callers keep one dict per processor)."""
    hit = _DEVICES.get(id(isa))
    if hit is not None and hit[0] is isa:
        return hit[1]
    device = device_from_isa(isa)
    if len(_DEVICES) >= 16:
        _DEVICES.clear()
    _DEVICES[id(isa)] = (isa, device)
    return device


def check_program(quil: str, isa: dict) -> ProgramInfo:
    """Parse and check a program against a processor's ISA; raise InvalidArgument when it cannot run."""
    program = _parse(quil)
    check_against(program, device_of(isa))
    return ProgramInfo(dict(program.readout), dict(program.parameters), tuple(program.qubits))


def run_program(quil: str, isa: dict, shots: int, memory: dict[str, list[float]], *,
                noiseless: bool = False, seed: int | None = None, engine: str = "auto",
                enforce_isa: bool = True) -> RunResult:
    """Run on the processor; ``enforce_isa=False`` lets any gate through (engine tests, the QVM's
    way), still on live qubits and edges and with the calibration's noise. ``engine="auto"`` picks
    one per job (``engine.choose_engine``)."""
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 0 or shots > MAX_SHOTS:
        raise InvalidArgument(f"shots must be an integer from 0 to {MAX_SHOTS}, got {shots!r}")
    program = _parse(quil)
    device = device_of(isa)
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


def initial_memory(program: ParsedProgram, values: dict[str, list[float]]) -> dict[str, np.ndarray]:
    """Zeroed memory for every declared region, patched with an execution's values (sent as reals)."""
    mem = {name: np.zeros(length, dtype=float) for name, (_, length) in program.regions.items()}
    for name, vals in values.items():
        if name not in program.regions:
            raise InvalidArgument(f"memory map names {name!r}, which the program does not DECLARE")
        kind, length = program.regions[name]
        vals = list(vals)
        if len(vals) > length:
            raise InvalidArgument(f"memory map gives {len(vals)} values for {name}, declared with length {length}")
        for i, v in enumerate(vals):
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise InvalidArgument(f"memory value {name}[{i}] is not a number: {v!r}") from None
            if not math.isfinite(v):
                raise InvalidArgument(f"memory value {name}[{i}] is not finite")
            if kind in INTEGER_TYPES and v != int(v):
                raise InvalidArgument(f"memory value {name}[{i}] = {v} is not an integer, but {name} is {kind}")
            mem[name][i] = v
    return mem


def duration_us(program: ParsedProgram, shots: int) -> int:
    """Estimated processor time: the longest qubit timeline of one pass, times the shots."""
    return max(1, math.ceil(longest_timeline(program) * 1e6 * shots)) if shots else 0
