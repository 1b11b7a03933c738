"""check_program: what a program declares and reads out, and precise errors for bad programs."""

from __future__ import annotations

import pytest

from openqcs.errors import InvalidArgument
from openqcs.simulator.device import device_from_isa
from openqcs.simulator.simulate import check_program, run_program
from tests.simulator.data import ISA


def test_program_info_lists_readout_and_parameter_regions():
    info = check_program("""DECLARE ro BIT[2]
DECLARE theta REAL[3]
DECLARE counts INTEGER[1]
DECLARE unused OCTET[4]
RZ(theta[2]) 0
CZ 0 1
MEASURE 0 ro[0]
MEASURE 1 counts[0]
""", ISA)
    assert info.readout == {"ro": 2, "counts": 1}
    assert info.parameters == {"theta": ("REAL", 3), "unused": ("OCTET", 4)}
    assert info.qubits == (0, 1)


def test_declared_ro_is_read_out_even_if_never_measured():
    info = check_program("DECLARE ro BIT[3]\nRX(pi) 0\n", ISA)
    assert info.readout == {"ro": 3}


@pytest.mark.parametrize("program, message", [
    ("H 0\nFOO BAR BAZ(\nX 1", r"does not parse: .*line 2"),
    ("DECLARE ro BIT[1]\nH 0\nFROB 0\nMEASURE 0 ro[0]", r"^line 3: `FROB 0`: gate FROB is not supported"),
    ("X 0\nX 200", r"^line 2: `X 200`: qubit 200 is not live on Aspen-M-3"),
    ("X 136", r"^line 1: `X 136`: qubit 136 is not live"),  # in the architecture, but it has no gates
    ("H 0\nCZ 0 2", r"^line 2: `CZ 0 2`: qubits 0 and 2 are not coupled by a live edge of Aspen-M-3"),
    ("CZ 6 7", r"^line 1: `CZ 6 7`: qubits 6 and 7 are not coupled"),  # architecture edge without gates
    ("CCNOT 0 2 4", r"^line 1: `CCNOT 0 2 4`: qubits 0, 2, 4 are not connected"),
    ("DECLARE ro BIT[1]\nMEASURE 0 ro[3]", r"^line 2: `MEASURE 0 ro\[3\]`: ro\[3\] is out of range: ro is declared with length 1"),
    ("MEASURE 0 nowhere[0]", r"memory region 'nowhere' is not declared"),
    ("DECLARE theta REAL[1]\nMEASURE 0 theta[0]", r"cannot measure into theta, a REAL region"),
    ("RX(phi[0]) 0", r"^line 1: `RX\(phi\[0\]\) 0`: memory region 'phi' is not declared"),
    ("DECLARE t REAL[1]\nRX(t[4]) 0", r"t\[4\] is out of range"),
    ("RX 0", r"^line 1: `RX 0`: RX takes 1 parameter\(s\), got 0"),
    ("CZ 0", r"CZ acts on 2 qubit\(s\), got 1"),
    ("CZ 0 0", r"a gate cannot act twice on the same qubit"),
    ("JUMP @nowhere", r"^line 1: `JUMP @nowhere`: label @nowhere is not defined"),
    ("DECLARE b BIT[1]\nJUMP-WHEN @end c[0]\nLABEL @end", r"memory region 'c' is not declared"),
    ('PULSE 0 "rf" flat(duration: 1.0, iq: 1.0)', r"`PULSE 0 \"rf\" flat\(duration: 1, iq: 1\)`: PULSE instructions are not supported on this processor"),
    ("RX(1.0) q", r"qubits must be fixed integers"),
    ("DEFGATE BAD:\n    1, 1\n    0, 1\nBAD 0", r"BAD is not unitary"),
    ("", r"the program is empty"),
    ("DECLARE a INTEGER[1]\nSHL a[0] 1", r"^line 2: `SHL a\[0\] 1`: SHL instructions are not supported on this processor"),
    ("WAIT", r"^line 1: `WAIT`: WAIT instructions are not supported"),
    ("DECLARE a REAL[1]\nDECLARE b REAL[1] SHARING a", r"^line 2: `DECLARE b REAL\[1\] SHARING a`: DECLARE ... SHARING is not supported"),
    ("DELAY 0 5.0", r"^line 1: `DELAY 0 5`: DELAY takes a duration from 0 to 1.0 s, got 5.0"),
    ("MOVE nowhere[0] 1", r"^line 1: `MOVE nowhere\[0\] 1`: memory region 'nowhere' is not declared"),
    ("DECLARE a REAL[1]\nADD a[2] 1", r"^line 2: `ADD a\[2\] 1`: a\[2\] is out of range"),
    ("DEFGATE G:\n    1, 0, 0\n    0, 1, 0\n    0, 0, 1\nG 0", r"^line 5: `G 0`: DEFGATE G is not a 2\^n x 2\^n matrix"),
    ("DEFGATE G:\n    a[0], 0\n    0, 1\nG 0", r"^line 4: `G 0`: DEFGATE G: memory region 'a' is not declared"),
    ("DEFGATE G(%t) q AS PAULI-SUM:\n    Z(%t) q\nG(0.1) 0", r"^line 3: `G\(0.1\) 0`: DEFGATE G AS PAULI-SUM is not supported"),
    ("DEFGATE G a AS SEQUENCE:\n    X a\nG 0", r"DEFGATE G AS SEQUENCE is not supported"),
    ("RX(1+i) 0", r"^line 1: `RX\(1\+1.0i\) 0`: cannot evaluate its parameters: parameter evaluates to a complex number"),
    ("DEFGATE P AS PERMUTATION:\n    0, 0\nP 0", r"DEFGATE P AS PERMUTATION is not a permutation of 0..2\^n-1"),
    ("DEFGATE P AS PERMUTATION:\n    0, 1, 2\nP 0", r"DEFGATE P AS PERMUTATION is not a permutation"),
    ("DEFGATE R(%a):\n    cos(%b), 0\n    0, 1\nR(0.1) 0", r"DEFGATE R: %b is not one of its parameters"),
])
def test_bad_programs_get_precise_errors(program, message):
    with pytest.raises(InvalidArgument, match=message):
        check_program(program, ISA)


def test_runtime_expression_errors_name_the_instruction():
    quil = "DECLARE ro BIT[1]\nDECLARE d REAL[1]\nRZ(1/d[0]) 0\nMEASURE 0 ro[0]\n"
    with pytest.raises(InvalidArgument, match=r"^line 3: `RZ\(1/d\[0\]\) 0`: cannot evaluate its parameters"):
        run_program(quil, ISA, 10, {"d": [0.0]}, noiseless=True)
    ok = run_program(quil, ISA, 10, {"d": [2 / 3.141592653589793]}, noiseless=True, seed=1)
    assert ok.readout["ro"].shape == (10, 1)


def test_defgate_with_parameters_and_permutation():
    quil = """DEFGATE MYRX(%t):
    cos(%t/2), -i*sin(%t/2)
    -i*sin(%t/2), cos(%t/2)
DEFGATE MYX AS PERMUTATION:
    1, 0
DECLARE ro BIT[2]
DECLARE t REAL[1]
MYRX(t[0]) 0
MYX 1
MEASURE 0 ro[0]
MEASURE 1 ro[1]
"""
    with pytest.raises(InvalidArgument, match=r"MYRX with modifiers or from a DEFGATE is not native"):
        check_program(quil, ISA)
    result = run_program(quil, ISA, 20, {"t": [3.141592653589793]}, noiseless=True, seed=1, enforce_isa=False)
    assert result.readout["ro"].tolist() == [[1, 1]] * 20


def test_pragmas_fences_and_comments_are_accepted():
    quil = """# a comment
PRAGMA INITIAL_REWIRING "NAIVE"
DECLARE ro BIT[1]
FENCE
RX(pi) 0   # flip
NOP
MEASURE 0 ro[0]
"""
    assert run_program(quil, ISA, 3, {}, noiseless=True).readout["ro"].tolist() == [[1]] * 3


def test_too_many_qubits_and_too_costly_per_shot_runs_are_refused():
    live = sorted(device_from_isa(ISA).qubits)[:30]
    with pytest.raises(InvalidArgument, match="the program uses 30 qubits; simulated processors run programs on at most 26"):
        check_program("".join(f"X {q}\n" for q in live), ISA)
    hadamards = "".join(f"RX(pi/2) {q}\n" for q in live[:14])
    loop = f"DECLARE ro BIT[1]\nLABEL @top\n{hadamards}MEASURE {live[0]} ro[0]\nJUMP-WHEN @top ro[0]\n"
    with pytest.raises(InvalidArgument, match=r"one simulation per shot \(classical control on 14 qubits\)"):
        run_program(loop, ISA, 1_000_000, {}, noiseless=True)


def test_a_fence_on_an_unused_qubit_does_not_move_the_labels_after_it():
    # FENCE 7 is dropped (qubit 7 is never used): the jump must still land on the second X.
    quil = "DECLARE ro BIT[1]\nFENCE 7\nJUMP @flip\nX 0\nLABEL @flip\nX 0\nMEASURE 0 ro[0]\n"
    assert run_program(quil, ISA, 5, {}, noiseless=True, enforce_isa=False).readout["ro"].tolist() == [[1]] * 5
