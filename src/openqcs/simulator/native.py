"""The ISA is the law: a program runs only with the gates its processor lists for each site.

As on QCS, translation does not compile: ``H 0`` or ``CNOT 0 1`` is refused, as is a CZ on an
edge that only has XY, or an RX at an angle the processor has no calibration for (QCS has RX
at multiples of pi/2; RZ is a frame change and takes any angle). The message names the line,
the gate and the site, and says how to compile.
"""

from __future__ import annotations

import math

import numpy as np

from openqcs.errors import InvalidArgument
from openqcs.simulator.device import GATES_1Q, GATES_2Q, Device, rx_angle_is_native
from openqcs.simulator.program import GateOp, MeasureOp, ParsedProgram, ResetOp

HINT = "compile the program for this processor first (pyquil: qc.compile(program), the default)"
_SHOWN = {"RX": "RX(±pi/2, pi)", "RZ": "RZ(θ)", "CPHASE": "CPHASE(θ)", "XY": "XY(θ)"}


def rx_angle(matrix: np.ndarray) -> float:
    """θ of RX(θ) = [[cos θ/2, -i sin θ/2], [-i sin θ/2, cos θ/2]]."""
    return 2 * math.atan2(-matrix[0, 1].imag, matrix[0, 0].real)


def _listing(names: frozenset[str], gates: frozenset[str]) -> str:
    shown = [_SHOWN.get(n, n) for n in sorted(names & gates)]
    return ", ".join(shown) if shown else "none"


def _site(physical: list[int]) -> str:
    if len(physical) == 1:
        return f"qubit {physical[0]}"
    return f"edge {'-'.join(map(str, physical))}"


def check_natives(program: ParsedProgram, device: Device) -> None:
    """Raise InvalidArgument for the first instruction the ISA does not list on its site."""
    name = device.name or "this processor"
    check_resets = any("RESET" in ops for ops in device.native_1q.values())
    for op in program.ops:
        if isinstance(op, MeasureOp):
            q = program.qubits[op.qubit]
            if "MEASURE" not in device.native_1q.get(q, ()):
                raise program.error(op.text, f"qubit {q} has no MEASURE on {name}")
        elif isinstance(op, ResetOp) and check_resets:
            for q in (program.qubits[i] for i in op.qubits):
                if "RESET" not in device.native_1q.get(q, ()):
                    raise program.error(op.text, f"qubit {q} has no RESET on {name}")
        elif isinstance(op, GateOp):
            _check_gate(program, op, device, name)


def _check_gate(program: ParsedProgram, op: GateOp, device: Device, name: str) -> None:
    physical = [program.qubits[q] for q in op.qubits]
    natives = device.natives_at(tuple(physical))
    gates = GATES_1Q if len(physical) == 1 else GATES_2Q
    site = _site(physical)
    if not op.native_form:
        raise _error(program, op, f"{op.name} with modifiers or from a DEFGATE is not native on {name}", site,
                     natives, gates)
    if op.name not in natives or op.name not in gates:
        raise _error(program, op, f"{op.name} is not a native gate of {site} on {name}", site, natives, gates)
    if op.name == "RX":
        if op.matrix is None:
            raise _error(program, op, f"RX with an angle read from memory is not native on {name} (RX is "
                                      f"calibrated at fixed angles; a parametric rotation compiles to RZ(θ) "
                                      f"between RX(±pi/2))", site, natives, gates)
        theta = rx_angle(op.matrix)
        if not rx_angle_is_native(theta):
            raise _error(program, op, f"RX({theta:.6g}) is not native on {name}: RX is calibrated at "
                                      f"multiples of pi/2 only", site, natives, gates)


def _error(program: ParsedProgram, op: GateOp, message: str, site: str, natives: frozenset[str],
           gates: frozenset[str]) -> InvalidArgument:
    return program.error(op.text, f"{message}; native on {site}: {_listing(natives, gates)}; {HINT}")
