"""The ISA is the law: what translation (check_program) and the workers (run_program) refuse."""

from __future__ import annotations

import pytest

from openqcs.errors import InvalidArgument
from openqcs.simulator.simulate import check_program, run_program
from tests.simulator.data import ISA

# What pyquil 4.22's compile(to_native_gates=False) sends for a native program (Program.out()).
PYQUIL_NATIVE = """DECLARE ro BIT[2]
DECLARE theta REAL[1]
RX(1.5707963267948966) 0
RX(-1.5707963267948966) 0
RX(3.141592653589793) 1
RX(-3.141592653589793) 1
RZ(0.3) 0
RZ(theta[0]) 0
RZ(4.71238898038469) 0
CZ 0 1
XY(3.141592653589793) 0 1
CPHASE(3.141592653589793) 0 1
XY(0.4) 20 123
I 0
DELAY 0 1e-6
FENCE 0 1
RESET 0
MEASURE 0 ro[0]
MEASURE 1 ro[1]
"""


def test_what_pyquil_sends_for_a_native_program_passes():
    info = check_program(PYQUIL_NATIVE, ISA)
    assert info.qubits == (0, 1, 20, 123)
    result = run_program(PYQUIL_NATIVE, ISA, 10, {"theta": [0.5]}, seed=1)
    assert result.readout["ro"].shape == (10, 2)


@pytest.mark.parametrize("program, message", [
    ("DECLARE ro BIT[1]\nH 0\nMEASURE 0 ro[0]",
     r"^line 2: `H 0`: H is not a native gate of qubit 0 on Aspen-M-3; native on qubit 0: I, RX\(±pi/2, pi\), RZ"),
    ("RX(pi) 0\nCNOT 0 1", r"^line 2: `CNOT 0 1`: CNOT is not a native gate of edge 0-1 on Aspen-M-3; "
                           r"native on edge 0-1: CPHASE\(θ\), CZ, XY\(θ\)"),
    ("CZ 20 123", r"^line 1: `CZ 20 123`: CZ is not a native gate of edge 20-123 .*native on edge 20-123: XY\(θ\)"),
    ("XY(pi) 14 15", r"^line 1: `XY\(pi\) 14 15`: XY is not a native gate of edge 14-15 .*: CPHASE\(θ\), CZ;"),
    ("RX(0.3) 0", r"^line 1: `RX\(0.3\) 0`: RX\(0.3\) is not native on Aspen-M-3: RX is calibrated at multiples of pi/2"),
    ("DECLARE t REAL[1]\nRX(t[0]) 0", r"^line 2: `RX\(t\[0\]\) 0`: RX with an angle read from memory is not native"),
    ("DAGGER RZ(0.1) 0", r"RZ with modifiers or from a DEFGATE is not native"),
    ("DEFGATE G AS PERMUTATION:\n    1, 0\nG 0", r"`G 0`: G with modifiers or from a DEFGATE is not native"),
    ("SWAP 0 1", r"SWAP is not a native gate of edge 0-1"),
])
def test_off_isa_gates_are_refused_with_the_site_and_a_hint(program, message):
    with pytest.raises(InvalidArgument, match=message) as caught:
        check_program(program, ISA)
    assert "compile the program for this processor first (pyquil: qc.compile(program)" in str(caught.value)


def test_noiseless_runs_still_keep_to_the_isa():
    with pytest.raises(InvalidArgument, match="H is not a native gate"):
        run_program("DECLARE ro BIT[1]\nH 0\nMEASURE 0 ro[0]\n", ISA, 5, {}, noiseless=True)


def test_rx_angles_that_are_multiples_of_half_pi_are_native():
    for angle in ("0", "pi/2", "-pi/2", "pi", "-pi", "3*pi/2", "2*pi"):
        check_program(f"RX({angle}) 0", ISA)


def test_a_bare_architecture_takes_rigettis_native_set():
    bare = {"name": "bare", "architecture": {"nodes": [{"node_id": 0}, {"node_id": 1}],
                                             "edges": [{"node_ids": [0, 1]}]}}
    check_program("RX(pi/2) 0\nRZ(0.1) 1\nCZ 0 1\nXY(0.2) 0 1\nMEASURE 0", bare)
    with pytest.raises(InvalidArgument, match="H is not a native gate of qubit 0 on bare"):
        check_program("H 0", bare)
