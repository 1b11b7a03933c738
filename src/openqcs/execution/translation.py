"""Translation: check a Quil program against a processor and seal it into a job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openqcs.errors import InvalidArgument
from openqcs.execution import admission
from openqcs.execution.jobs import JobDescription, job_key, readout_mappings, seal
from openqcs.execution.service import processor_isa
from openqcs.identity.principal import Principal

MAX_SHOTS = 1_000_000
MAX_PROGRAM_CHARS = 1_000_000


@dataclass(frozen=True)
class Translated:
    job: bytes
    key_id: str
    nonce: bytes
    readout_mappings: dict[str, str]


def translate(session: Session, viewer: Principal, processor_id: str, quil: str, shots: int | None, *,
              time_limit: float = 0.0) -> Translated:
    """Check ``quil`` on the processor (InvalidArgument saying where it is wrong, or that it cannot
    finish within ``time_limit`` seconds) and seal the job. Reads only: no write lock."""
    from openqcs.simulator.simulate import check_program

    shots = 1 if shots is None else shots
    if not 1 <= shots <= MAX_SHOTS:
        raise InvalidArgument(f"num_shots must be between 1 and {MAX_SHOTS}, not {shots}")
    if not quil.strip():
        raise InvalidArgument("quil_program is empty")
    if len(quil) > MAX_PROGRAM_CHARS:
        raise InvalidArgument(f"quil_program is longer than {MAX_PROGRAM_CHARS} characters")
    target = processor_isa(session, processor_id, viewer)
    info = check_program(quil, target.isa, isa_key=target.key)
    admission.check_time(admission.estimate(quil, target.isa, shots, target.noiseless), time_limit)
    readout = {name: int(size) for name, size in info.readout.items()}
    job = JobDescription(processor_id=processor_id, program=quil, shots=shots, readout=readout)
    data, key_id, nonce = seal(job, job_key(session))
    return Translated(data, key_id, nonce, readout_mappings(readout))


def calibration_program(session: Session, viewer: Principal, processor_id: str) -> str:
    """Quil-T calibrations (frames, DEFCALs) for the processor's live qubits and edges.

    The simulator does not play pulses; this gives clients the calibration program they expect
    to inspect, shaped like a superconducting processor's.
    """
    qubits, edges = _live_sites(processor_isa(session, processor_id, viewer).isa)
    parts = []
    for q in qubits:
        parts.append(_frame(f"{q}", "rf", "tx", 4.5e9 + 1e7 * (q % 50)))
        parts.append(_frame(f"{q}", "ro_tx", "tx", 7.1e9))
        parts.append(_frame(f"{q}", "ro_rx", "rx", 7.1e9))
    for a, b in edges:
        parts.append(_frame(f"{a} {b}", "cz", "tx", 1e8))
    for q in qubits:
        for angle, scale in (("pi/2", 0.5), ("-pi/2", -0.5), ("pi", 1.0), ("-pi", -1.0)):
            parts.append(f"DEFCAL RX({angle}) {q}:\n    FENCE {q}\n"
                         f"    NONBLOCKING PULSE {q} \"rf\" drag_gaussian(duration: 4e-08, fwhm: 1e-08, t0: 2e-08, "
                         f"anh: -190000000.0, alpha: 0.0, scale: {scale}, phase: 0.0, detuning: 0.0)\n"
                         f"    FENCE {q}\n")
        parts.append(f"DEFCAL RZ(%theta) {q}:\n    SHIFT-PHASE {q} \"rf\" -%theta\n")
        parts.append(f"DEFCAL MEASURE {q} addr:\n    FENCE {q}\n"
                     f"    NONBLOCKING PULSE {q} \"ro_tx\" flat(duration: 2e-06, iq: 1.0, scale: 0.1, phase: 0.0, "
                     f"detuning: 0.0)\n"
                     f"    CAPTURE {q} \"ro_rx\" boxcar_kernel(duration: 2e-06, scale: 1.0, phase: 0.0, "
                     f"detuning: 0.0) addr\n    FENCE {q}\n")
    for a, b in edges:
        parts.append(f"DEFCAL CZ {a} {b}:\n    FENCE {a} {b}\n"
                     f"    NONBLOCKING PULSE {a} {b} \"cz\" erf_square(duration: 1.6e-07, risetime: 2e-08, "
                     f"padleft: 0.0, padright: 0.0, scale: 0.3, phase: 0.0, detuning: 0.0)\n    FENCE {a} {b}\n")
    return "\n".join(parts)


def _frame(qubits: str, name: str, direction: str, frequency: float) -> str:
    return (f"DEFFRAME {qubits} \"{name}\":\n    DIRECTION: \"{direction}\"\n"
            f"    INITIAL-FREQUENCY: {frequency}\n    SAMPLE-RATE: 1000000000.0\n")


def _live_sites(isa: dict[str, Any]) -> tuple[list[int], list[tuple[int, int]]]:
    """Qubits and edges that have at least one operation in the ISA."""
    qubits: set[int] = set()
    edges: set[tuple[int, int]] = set()
    for op in isa.get("instructions", []):
        for site in op.get("sites", []):
            nodes = site.get("node_ids", [])
            if len(nodes) == 1:
                qubits.add(int(nodes[0]))
            elif len(nodes) == 2:
                low, high = sorted(int(n) for n in nodes)
                edges.add((low, high))
    return sorted(qubits), sorted(edges)
