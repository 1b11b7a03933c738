"""Per-qubit timelines of a program, and the calibration's channels placed on them.

Each qubit has a clock. An instruction starts when all its qubits are free; a qubit that
waits for another idles, and idling relaxes it. Programs with jumps have no single timeline:
there each instruction is charged for its own duration only (no idling, no crosstalk).
"""

from __future__ import annotations

from bisect import bisect_left

from openqcs.simulator import noise as nm
from openqcs.simulator.ir import DelayOp, FenceOp, GateOp, MeasureOp, Op, ParsedProgram, ResetOp


def gate_time(op: GateOp) -> float:
    if len(op.qubits) == 1:
        return 0.0 if op.name == "RZ" and op.virtual else nm.PULSE_TIME
    return nm.GATE_TIMES_2Q.get(op.name, nm.GATE_TIME_2Q) * nm.NATIVE_COUNT.get(op.name, 1)


def op_time(op: Op) -> tuple[tuple[int, ...], float]:
    """(qubits, seconds) an instruction occupies."""
    if isinstance(op, GateOp):
        return op.qubits, gate_time(op)
    if isinstance(op, MeasureOp):
        return (op.qubit,), nm.MEASURE_TIME
    if isinstance(op, ResetOp):
        return op.qubits, nm.RESET_TIME
    if isinstance(op, DelayOp):
        return op.qubits, op.seconds
    return (), 0.0


def longest_timeline(program: ParsedProgram) -> float:
    """Seconds of one pass of the program (the busiest qubit's clock at the end)."""
    clock = [0.0] * max(len(program.qubits), 1)
    for op in program.ops:
        qs, t = op_time(op)
        if isinstance(op, FenceOp):
            qs, t = op.qubits, 0.0
        if not qs:
            continue
        start = max(clock[q] for q in qs) if not isinstance(op, DelayOp) else 0.0
        for q in qs:
            clock[q] = max(start, clock[q]) + t
    return max(clock)


def plan(program: ParsedProgram, spec: nm.NoiseSpec) -> dict[int, nm.Around]:
    """id(op) -> (channels before, channels after) for every instruction that has noise."""
    timed = not program.has_control
    n = len(program.qubits)
    clock = [0.0] * n
    drives: list[list[tuple[float, float]]] = [[] for _ in range(n)]
    pulses: list[tuple[GateOp, int, float, float, nm.Channels]] = []
    out: dict[int, nm.Around] = {}
    for op in program.ops:
        before: list[nm.Channel] = []
        after: list[nm.Channel] = []
        if isinstance(op, FenceOp):
            if timed:
                top = max(clock[q] for q in op.qubits)
                for q in op.qubits:
                    after += spec.idle(q, top - clock[q])
                    clock[q] = top
        elif isinstance(op, DelayOp):
            for q in op.qubits:
                after += spec.idle(q, op.seconds)
                clock[q] += op.seconds
        elif isinstance(op, (GateOp, MeasureOp, ResetOp)):
            qs, t = op_time(op)
            if t == 0:
                continue
            start = max(clock[q] for q in qs)
            if timed and len(qs) > 1:
                # QCS's 2q figures come from interleaved RB, where the gate's qubits wait for each
                # other's last pulse: a wait of up to SYNC_SLACK is part of the gate's figure.
                slack = nm.SYNC_SLACK if isinstance(op, GateOp) else 0.0
                for q in qs:
                    before += spec.idle(q, start - clock[q] - slack) if start - clock[q] > slack else ()
            else:
                start = clock[qs[0]] if len(qs) == 1 else start
            for q in qs:
                clock[q] = start + t
            if isinstance(op, GateOp):
                if op.name == "I" and len(qs) == 1:
                    after += spec.idle(qs[0], t)
                elif len(qs) == 1:
                    drives[qs[0]].append((start, start + t))
                    pulses.append((op, qs[0], start, start + t, tuple(before)))
                    continue
                else:
                    for q in qs:
                        drives[q].append((start, start + t))
                    after += spec.two_qubit(op.name, qs)
        if before or after:
            out[id(op)] = (tuple(before), tuple(after))
    dense = {p: i for i, p in enumerate(program.qubits)}
    starts = [[s for s, _ in d] for d in drives]
    for pulse, q, start, end, waited in pulses:
        crowded = False
        if timed:
            for p in spec.device.neighbours.get(program.qubits[q], ()):
                r = dense.get(p)
                if r is not None and _overlaps(drives[r], starts[r], start, end):
                    crowded = True
                    break
        out[id(pulse)] = (waited, spec.pulse(q, crowded))
    return out


def _overlaps(intervals: list[tuple[float, float]], starts: list[float], start: float, end: float) -> bool:
    # A qubit's intervals are disjoint and in time order: only the last one starting before
    # ``end`` can reach past ``start``.
    i = bisect_left(starts, end - 1e-15)
    return i > 0 and intervals[i - 1][1] > start + 1e-15
