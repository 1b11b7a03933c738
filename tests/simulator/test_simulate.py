"""simulate's ISA handling: a device model per ISA version key, and noise pragmas' number errors."""

from __future__ import annotations

import copy
import re

import pytest

from openqcs.errors import InvalidArgument
from openqcs.simulator.program import parse_program
from openqcs.simulator.program_noise import program_noise
from openqcs.simulator.simulate import check_program, device_of
from tests.simulator.data import ISA


def _without_qubit(isa: dict, qubit: int) -> dict:
    """The ISA with every gate on ``qubit`` removed (so the qubit is dead)."""
    changed = copy.deepcopy(isa)
    for ins in changed["instructions"]:
        ins["sites"] = [s for s in ins.get("sites") or [] if qubit not in s.get("node_ids", [])]
    return changed


def test_an_isa_changed_in_place_is_read_again_without_a_key():
    isa = copy.deepcopy(ISA)
    check_program("RX(pi) 0", isa)
    isa["instructions"] = _without_qubit(isa, 0)["instructions"]  # same dict, new calibration
    with pytest.raises(InvalidArgument, match="qubit 0 is not live"):
        check_program("RX(pi) 0", isa)


def test_a_new_isa_version_key_gets_its_own_device_model():
    check_program("RX(pi) 0", ISA, isa_key=("test", 1))
    with pytest.raises(InvalidArgument, match="qubit 0 is not live"):
        check_program("RX(pi) 0", _without_qubit(ISA, 0), isa_key=("test", 2))
    assert device_of(ISA, ("test", 1)) is device_of(ISA, ("test", 1))  # one model per key


@pytest.mark.parametrize("entry", ["%x", "1/0", "1e999", "sin("])
def test_noise_pragma_entries_that_are_not_numbers_are_refused(entry):
    program = parse_program(f'PRAGMA READOUT-POVM 0 "(1 0 0 {entry})"\nX 0\n')
    with pytest.raises(InvalidArgument, match=rf"`PRAGMA READOUT-POVM 0 .*`: {re.escape(repr(entry))} is not a number"):
        program_noise(program)
