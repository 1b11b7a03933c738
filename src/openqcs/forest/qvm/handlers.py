"""The QVM's request types (forest-wire.md §3.2), as plain functions from the decoded JSON body
to a reply. Every user mistake raises ``InvalidArgument`` with the text the client will show."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeGuard

import msgspec
import numpy as np

from openqcs.errors import InvalidArgument
from openqcs.simulator.engine import get_engine
from openqcs.simulator.engines.aer import DENSITY_MATRIX_MAX_QUBITS
from openqcs.simulator.program import ParsedProgram, parse_program
from openqcs.simulator.program_noise import PauliTriple, ProgramNoise, pauli_triple, program_noise
from openqcs.simulator.simulate import initial_memory
from openqcs.simulator.states import check_width, expectations, final_state, hoist_prelude

VERSION = "1.17.2 [openqcs]"  # pyquil reads major.minor and needs at least 1.8
MAX_TRIALS = 1_000_000
# Amplitude updates (trials x 2^qubits x instructions) of one-trajectory-per-trial runs: past
# this a request would hold one of the two simulation threads long after the client gave up.
PER_TRIAL_BUDGET = 2e10
PROGRAM_FIELDS = ("compiled-quil", "quil-instructions", "uncompiled-quil")
EMPTY = ParsedProgram("", [], [], {}, {}, {})


@dataclass(frozen=True)
class Reply:
    body: bytes
    content_type: str = "application/json"


def handle(request: dict[str, Any]) -> Reply:
    kind = request.get("type")
    handler = HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        raise InvalidArgument(f"unknown request type {kind!r}; this QVM answers "
                              f"{', '.join(sorted(HANDLERS))}")
    return handler(request)


def version(_request: dict[str, Any]) -> Reply:
    return Reply(VERSION.encode(), "text/plain; charset=utf-8")


def multishot(request: dict[str, Any]) -> Reply:
    program = _program(request)
    trials = _trials(request)
    wanted = _addresses(request.get("addresses"), program)
    noise = _noise_of(program, request)
    program, memory = hoist_prelude(program, initial_memory(program, {}))
    _check_cost(program, trials, noise)
    result = get_engine("aer").run(program, memory, trials, noise, _seed(request))
    out: dict[str, list[Any]] = {}
    for name, indices in wanted.items():
        if name in result.readout:
            out[name] = result.readout[name][:, indices].tolist()
        else:  # not measured: its value after the run, the same on every trial
            kind = program.regions[name][0]
            row = [float(v) if kind == "REAL" else int(v) for v in result.memory[name][indices]]
            out[name] = [row] * trials
    return Reply(msgspec.json.encode(out))


def multishot_measure(request: dict[str, Any]) -> Reply:
    source = _source(request)
    trials = _trials(request)
    qubits = request.get("qubits")
    if not isinstance(qubits, list) or not all(_is_index(q) for q in qubits):
        raise InvalidArgument(f"qubits must be a list of qubit indices, got {qubits!r}")
    program = _parse(source) if source.strip() else EMPTY
    used = [q for q in dict.fromkeys(qubits) if q in program.qubits]
    if not used:
        return Reply(msgspec.json.encode([[0] * len(qubits)] * trials))
    # Measure the requested qubits the program uses into a register of our own; the rest read 0.
    name = "openqcs_measured"
    while name in program.regions:
        name += "_"
    lines = [source, f"DECLARE {name} BIT[{len(used)}]"]
    lines += [f"MEASURE {q} {name}[{i}]" for i, q in enumerate(used)]
    measured = _parse("\n".join(lines) + "\n")
    check_width(len(measured.qubits))
    noise = _noise_of(measured, request)
    measured, memory = hoist_prelude(measured, initial_memory(measured, {}))
    _check_cost(measured, trials, noise)
    bits = get_engine("aer").run(measured, memory, trials, noise, _seed(request)).readout[name]
    columns = {q: i for i, q in enumerate(used)}
    table = np.zeros((trials, len(qubits)), dtype=np.int64)
    for j, q in enumerate(qubits):
        if q in columns:
            table[:, j] = bits[:, columns[q]]
    return Reply(msgspec.json.encode(table.tolist()))


def wavefunction(request: dict[str, Any]) -> Reply:
    source = _source(request)
    program = _parse(source) if source.strip() else EMPTY
    noise = _noise_of(program, request)
    state = final_state(program, initial_memory(program, {}), noise, _seed(request))
    return Reply(state.astype(">c16").tobytes(), "application/octet-stream")


def expectation(request: dict[str, Any]) -> Reply:
    prep_text = request.get("state-preparation")
    operators = request.get("operators")
    if not isinstance(prep_text, str):
        raise InvalidArgument("expectation needs state-preparation: the Quil text preparing the state")
    if not isinstance(operators, list) or not all(isinstance(o, str) for o in operators):
        raise InvalidArgument("expectation needs operators: a list of Quil programs (Pauli terms)")
    prep = _parse(prep_text) if prep_text.strip() else EMPTY
    ops = [_parse(o) if o.strip() else EMPTY for o in operators]
    noise = _noise_of(prep, request)
    values = expectations(prep, initial_memory(prep, {}), ops, noise, _seed(request))
    return Reply(msgspec.json.encode(values))


HANDLERS = {"version": version, "multishot": multishot, "multishot-measure": multishot_measure,
            "wavefunction": wavefunction, "expectation": expectation}


@lru_cache(maxsize=128)
def _parse(source: str) -> ParsedProgram:
    return parse_program(source)  # read-only once parsed, so shared between requests


def _source(request: dict[str, Any]) -> str:
    for field in PROGRAM_FIELDS:
        value = request.get(field)
        if value is not None:
            if not isinstance(value, str):
                raise InvalidArgument(f"{field} must be a string of Quil, got {type(value).__name__}")
            return value
    raise InvalidArgument(f"{request.get('type')} needs the program in compiled-quil (or quil-instructions)")


def _program(request: dict[str, Any]) -> ParsedProgram:
    source = _source(request)
    program = _parse(source) if source.strip() else EMPTY
    check_width(len(program.qubits))
    return program


def _is_index(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _trials(request: dict[str, Any]) -> int:
    trials = request.get("trials")
    if not _is_index(trials) or not 1 <= trials <= MAX_TRIALS:
        raise InvalidArgument(f"trials must be an integer from 1 to {MAX_TRIALS}, got {trials!r}")
    return trials


def _check_cost(program: ParsedProgram, trials: int, noise: ProgramNoise | None) -> None:
    n = len(program.qubits)
    if program.has_control:
        return  # the per-shot interpreter checks its own budget
    kraus_wide = noise is not None and n > DENSITY_MATRIX_MAX_QUBITS and getattr(noise, "has_kraus", False)
    if (program.sampleable and not kraus_wide) or trials * 2**n * max(1, len(program.ops)) <= PER_TRIAL_BUDGET:
        return
    why = "measures mid-circuit or resets" if not program.sampleable else "has Kraus noise on more than " \
        f"{DENSITY_MATRIX_MAX_QUBITS} qubits"
    raise InvalidArgument(f"this program {why}, so each of its {trials} trials is simulated on its own over "
                          f"{n} qubits, which would take too long; use fewer trials or qubits")


def _seed(request: dict[str, Any]) -> int | None:
    seed = request.get("rng-seed")
    if seed is None:
        return None
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise InvalidArgument(f"rng-seed must be an integer, got {seed!r}")
    return seed % 2**63


def _noise_of(program: ParsedProgram, request: dict[str, Any]) -> ProgramNoise | None:
    gate = pauli_triple(request.get("gate-noise"), "gate-noise")
    measure = pauli_triple(request.get("measurement-noise"), "measurement-noise")
    if program is EMPTY:
        return program_noise(program, gate, measure)
    return _cached_noise(program.source, gate, measure)


@lru_cache(maxsize=64)
def _cached_noise(source: str, gate: PauliTriple | None, measure: PauliTriple | None) -> ProgramNoise | None:
    # Reading a noisy 9-qubit program's ~600 Kraus pragmas costs more than parsing it.
    return program_noise(_parse(source), gate, measure)


def _addresses(addresses: object, program: ParsedProgram) -> dict[str, list[int]]:
    """Region -> the indices to return: ``true`` all, ``false`` none, or a list of indices."""
    if not isinstance(addresses, dict):
        raise InvalidArgument("multishot needs addresses: an object of region name -> true, false or indices")
    wanted: dict[str, list[int]] = {}
    for name, spec in addresses.items():
        if name not in program.regions:
            raise InvalidArgument(f"addresses names {name!r}, which the program does not DECLARE")
        length = program.regions[name][1]
        if spec is True:
            wanted[name] = list(range(length))
        elif spec is False:
            continue
        elif isinstance(spec, list) and all(_is_index(i) and i < length for i in spec):
            wanted[name] = list(spec)
        else:
            raise InvalidArgument(f"addresses[{name!r}] must be true, false or indices below {length}, got {spec!r}")
    return wanted
