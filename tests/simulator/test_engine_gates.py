"""Gate matrices against known values, and both engines agreeing with them (qubit order included)."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest

from openqcs.simulator import gates
from openqcs.simulator.engines.reference import apply
from openqcs.simulator.program import GateOp, parse_program
from openqcs.simulator.simulate import run_program

S2 = 1 / math.sqrt(2)
LINE = {  # a 4-qubit line: 0-1-2-3, no calibration (noiseless)
    "name": "line4",
    "architecture": {"nodes": [{"node_id": i} for i in range(4)],
                     "edges": [{"node_ids": [i, i + 1]} for i in range(3)]},
}


def mat(name, *params):
    return gates.STANDARD[name][2](*params)


def test_known_matrices():
    t = 0.7
    assert np.allclose(mat("RZ", t), np.diag([cmath.exp(-0.5j * t), cmath.exp(0.5j * t)]))
    assert np.allclose(mat("RX", math.pi), -1j * np.array([[0, 1], [1, 0]]))
    assert np.allclose(mat("RY", math.pi / 2), S2 * np.array([[1, -1], [1, 1]]))
    assert np.allclose(mat("H"), S2 * np.array([[1, 1], [1, -1]]))
    assert np.allclose(mat("PHASE", math.pi / 2), mat("S"))
    assert np.allclose(mat("PHASE", math.pi / 4), mat("T"))
    assert np.allclose(mat("CPHASE", math.pi), mat("CZ"))
    assert np.allclose(mat("CPHASE00", t), np.diag([cmath.exp(1j * t), 1, 1, 1]))
    assert np.allclose(mat("CPHASE10", t), np.diag([1, 1, cmath.exp(1j * t), 1]))
    assert np.allclose(mat("XY", math.pi), mat("ISWAP"))
    assert np.allclose(mat("XY", 0), np.eye(4))
    assert np.allclose(mat("ISWAP"), [[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]])
    assert np.allclose(mat("CNOT"), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    ccnot = np.eye(8)
    ccnot[[6, 7]] = ccnot[[7, 6]]
    assert np.allclose(mat("CCNOT"), ccnot)
    assert np.allclose(mat("U", t, -math.pi / 2, math.pi / 2), mat("RX", t))
    for name, (n_params, _, fn) in gates.STANDARD.items():
        assert gates.is_unitary(fn(*([0.3] * n_params))), name


def test_modifiers():
    x = lambda p: mat("X")  # noqa: E731
    assert np.allclose(gates.apply_modifiers(["CONTROLLED"], x, []), mat("CNOT"))
    s = lambda p: mat("S")  # noqa: E731
    assert np.allclose(gates.apply_modifiers(["DAGGER"], s, []), np.diag([1, -1j]))
    rx = lambda p: mat("RX", *p)  # noqa: E731
    forked = gates.apply_modifiers(["FORKED"], rx, [0.1, 0.2])
    assert np.allclose(forked[:2, :2], mat("RX", 0.1)) and np.allclose(forked[2:, 2:], mat("RX", 0.2))
    prog = parse_program("DAGGER CONTROLLED RX(0.5) 1 0")
    op = prog.ops[0]
    assert np.allclose(op.matrix, gates.apply_modifiers(["CONTROLLED"], rx, [0.5]).conj().T)


@pytest.mark.parametrize("engine", ["aer", "reference"])
@pytest.mark.parametrize("program, expected", [
    ("X 0\nCNOT 0 1", [1, 1]),
    ("X 0\nCNOT 1 0", [1, 0]),
    ("X 1\nCNOT 1 0", [1, 1]),
    ("X 0\nSWAP 0 1", [0, 1]),
    ("DEFGATE CX10:\n    1, 0, 0, 0\n    0, 0, 0, 1\n    0, 0, 1, 0\n    0, 1, 0, 0\nX 1\nCX10 0 1", [1, 1]),
    ("X 0\nCONTROLLED X 0 1", [1, 1]),
    ("X 2\nX 1\nCCNOT 1 2 0", [1, 1]),
])
def test_operand_order(engine, program, expected):
    declare = "DECLARE ro BIT[2]\n"
    measure = "\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
    result = run_program(declare + program + measure, LINE, 20, {}, noiseless=True, seed=1, engine=engine, enforce_isa=False)
    assert result.readout["ro"].tolist() == [expected] * 20


def exact_probabilities(quil: str) -> np.ndarray:
    prog = parse_program(quil)
    n = len(prog.qubits)
    state = np.zeros((2,) * n, dtype=complex)
    state[(0,) * n] = 1
    for op in prog.ops:
        if isinstance(op, GateOp):
            state = apply(state, op.matrix, op.qubits)
    return np.abs(state.reshape(-1)) ** 2


def test_engines_match_exact_distribution():
    body = """H 0
RX(0.3) 1
XY(1.1) 0 1
CPHASE(0.7) 1 2
RY(1.9) 2
ISWAP 2 3
PHASE(0.4) 3
CZ 0 1
U(0.5, 0.2, 1.4) 0
PSWAP(0.9) 1 2
RZ(0.8) 2
RX(1.2) 3
CNOT 2 3
DAGGER T 1
H 1
"""
    probs = exact_probabilities(body)
    quil = "DECLARE ro BIT[4]\n" + body + "".join(f"MEASURE {q} ro[{q}]\n" for q in range(4))
    shots = 20000
    for engine in ("aer", "reference"):
        ro = run_program(quil, LINE, shots, {}, noiseless=True, seed=7, engine=engine, enforce_isa=False).readout["ro"]
        index = ro @ (1 << np.arange(3, -1, -1))  # ro[0] is the most significant, as in Quil
        freq = np.bincount(index, minlength=16) / shots
        assert np.max(np.abs(freq - probs)) < 0.015, engine
