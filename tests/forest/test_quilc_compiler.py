"""The quilc-compatible compiler, without a server: compiled programs do what the input does.

Equivalence is checked with our own numpy gate table (``openqcs.simulator``), not qiskit: every
basis state of the input's qubits is placed on the compiled program's initial qubits (other
qubits |0>), and the compiled program must map it to the input's output placed on the final
qubits, up to one global phase.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
import quil.program

from openqcs.forest.quilc.compiler import compile_quil
from openqcs.forest.quilc.errors import CompileError
from openqcs.simulator.program import GateOp, parse_program

REFERENCE = Path("/work/shared/reference")
if not REFERENCE.exists():
    REFERENCE = Path(__file__).resolve().parents[3] / "shared/reference"
TWO_Q = json.loads((REFERENCE / "forest-target-device-2q-qvm.json").read_text())
ASPEN = json.loads((REFERENCE / "forest-target-device-aspen-m3.json").read_text())


def generic_device(edges: list[tuple[int, int]], qubits: list[int], dead: tuple[int, ...] = (),
                   two_q_gates: tuple[str, ...] = ("CZ", "XY")) -> dict:
    """A TargetDevice shaped like pyquil's generic QVMs (the captured 2q-qvm's gate lists)."""
    site = TWO_Q["isa"]["1Q"]["0"]["gates"]
    edge = [g for g in TWO_Q["isa"]["2Q"]["0-1"]["gates"] if g["operator"] in two_q_gates]
    one = {str(q): ({"id": q, "dead": True} if q in dead else {"id": q, "gates": copy.deepcopy(site)}) for q in qubits}
    two = {f"{a}-{b}": {"ids": [a, b], "gates": copy.deepcopy(edge)} for a, b in edges}
    return {"_type": "TargetDevice", "isa": {"1Q": one, "2Q": two}, "specs": {}}


SQUARE_9 = generic_device([(r * 3 + c, r * 3 + c + 1) for r in range(3) for c in range(2)]
                          + [(r * 3 + c, r * 3 + c + 3) for r in range(2) for c in range(3)], list(range(9)))
# A line 0-1-2-3-4-5 whose qubit 5 is dead (so edge 4-5 is too), with only XY on 1-2.
LINE = generic_device([(0, 1), (2, 3), (3, 4), (4, 5)], list(range(6)), dead=(5,))
LINE["isa"]["2Q"]["1-2"] = {"ids": [1, 2], "gates": [g for g in copy.deepcopy(TWO_Q["isa"]["2Q"]["0-1"]["gates"])
                                                    if g["operator"] == "XY"]}
CPHASE_LINE = generic_device([(0, 1), (1, 2), (2, 3), (3, 4)], list(range(5)), two_q_gates=())
for _edge in CPHASE_LINE["isa"]["2Q"].values():
    _edge["gates"] = [{"operator_type": "gate", "operator": "CPHASE", "duration": 0.01, "fidelity": 1.0,
                       "parameters": ["theta"], "arguments": ["_", "_"]}]
DEVICES = {"9q-square": SQUARE_9, "aspen-m3": ASPEN, "line-dead": LINE,
           "xy-line": generic_device([(0, 1), (1, 2), (2, 3), (3, 4)], list(range(5)), two_q_gates=("XY",)),
           "cphase-line": CPHASE_LINE}

ONE_Q = ["H", "X", "Y", "Z", "S", "T", "RX", "RY", "RZ", "PHASE"]
TWO_Q_GATES = ["CNOT", "CZ", "SWAP", "ISWAP", "CPHASE", "XY", "PSWAP", "CPHASE01"]
PARAMETRIC = {"RX", "RY", "RZ", "PHASE", "CPHASE", "XY", "PSWAP", "CPHASE01"}


def random_program(rng: np.random.Generator, ids: list[int], gates: int) -> str:
    lines = []
    for _ in range(gates):
        if len(ids) > 1 and rng.random() < 0.4:
            name = str(rng.choice(TWO_Q_GATES))
            qs = [int(q) for q in rng.choice(ids, 2, replace=False)]
        else:
            name, qs = str(rng.choice(ONE_Q)), [int(rng.choice(ids))]
        param = f"({rng.uniform(-math.pi, math.pi)!r})" if name in PARAMETRIC else ""
        lines.append(f"{name}{param} {' '.join(map(str, qs))}")
    return "\n".join(lines) + "\n"


def _apply(state: np.ndarray, matrix: np.ndarray, axes: list[int]) -> np.ndarray:
    k = len(axes)
    moved = np.moveaxis(state, axes, range(k))
    shape = moved.shape
    out = (matrix @ moved.reshape(2 ** k, -1)).reshape(shape)
    return np.moveaxis(out, range(k), axes)


def run(text: str, order: list[int], state: np.ndarray, memory: dict | None = None) -> np.ndarray:
    """Apply the gates of ``text`` to ``state`` (a tensor over the qubit ids in ``order``)."""
    parsed = parse_program(text)
    memory = {k: np.asarray(v, dtype=float) for k, v in (memory or {}).items()}
    for op in parsed.ops:
        if isinstance(op, GateOp):
            axes = [order.index(parsed.qubits[q]) for q in op.qubits]
            state = _apply(state, parsed.gate_matrix(op, memory), axes)
    return state


def assert_equivalent(source: str, compiled, memory: dict | None = None) -> None:
    n = len(compiled.qubit_ids)
    touched = set(compiled.initial) | set(compiled.final)
    for line in compiled.quil.splitlines():
        if line and not line.startswith(("DECLARE", "MEASURE", "PRAGMA")):
            touched.update(int(w) for w in line.split(")")[-1].split() if w.isdigit())
    order = sorted(touched)
    assert len(order) <= 14, "too many qubits to simulate"
    phase = None
    for column in range(2 ** n):
        bits = [(column >> (n - 1 - i)) & 1 for i in range(n)]
        logical = np.zeros([2] * n, dtype=complex)
        logical[tuple(bits)] = 1
        want = run(source, sorted(compiled.qubit_ids), logical, memory) if source else logical
        start = np.zeros([2] * len(order), dtype=complex)
        start[tuple(bits[compiled.initial.index(q)] if q in compiled.initial else 0 for q in order)] = 1
        got = run(compiled.quil, order, start, memory)
        # read the logical qubits off their final places; every other qubit must be back in |0>
        rest = [i for i, q in enumerate(order) if q not in compiled.final]
        got = np.moveaxis(got, [order.index(q) for q in compiled.final] + rest, range(len(order)))
        got = got.reshape([2] * n + [-1])
        assert np.allclose(got[..., 1:], 0, atol=1e-7), "an ancilla qubit was left excited"
        got = got[..., 0]
        if phase is None:
            k = np.argmax(np.abs(want))
            phase = got.flat[k] / want.flat[k]
        assert abs(abs(phase) - 1) < 1e-7
        assert np.allclose(got, phase * want, atol=1e-7), f"basis state {bits} differs"


def assert_native(compiled, device: dict) -> None:
    isa = device["isa"]
    live = {int(k) for k, v in isa["1Q"].items() if not v.get("dead")}
    edges = {}
    for v in isa["2Q"].values():
        if not v.get("dead"):
            edges[frozenset(v["ids"])] = {g["operator"] for g in v["gates"]}
    program = quil.program.Program.parse(compiled.quil)  # what pyquil does with the reply
    for ins in program.body_instructions:
        kind = type(ins).__name__
        if kind == "Gate":
            gate = ins._0
            qubits = [int(q._0) for q in gate.qubits]
            assert not gate.modifiers
            if len(qubits) == 1:
                assert qubits[0] in live
                assert gate.name in ("RZ", "RX"), ins.to_quil()
                if gate.name == "RX":
                    assert ins.to_quil().split(")")[0][3:] in ("pi/2", "-pi/2", "pi", "-pi"), ins.to_quil()
            else:
                assert frozenset(qubits) in edges, f"{ins.to_quil()} is not on a live edge"
                assert gate.name in edges[frozenset(qubits)], f"{ins.to_quil()} is not native on its edge"
        elif kind == "Measurement":
            assert int(ins._0.qubit._0) in live


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size,gates,seed", [(2, 12, 1), (3, 25, 2), (4, 40, 3), (5, 40, 4)])
def test_random_circuits_compile_to_equivalent_native_programs(device, size, gates, seed):
    rng = np.random.default_rng(seed)
    pool = list(range(0, 9)) if device in ("9q-square", "aspen-m3") else list(range(0, 5))
    ids = sorted(int(q) for q in rng.choice(pool, size, replace=False))
    source = random_program(rng, ids, gates)
    compiled = compile_quil(source, DEVICES[device], protoquil=True)
    assert_native(compiled, DEVICES[device])
    assert_equivalent(source, compiled)
    assert compiled.metadata["final_rewiring"][ids[0]] == compiled.final[0]
    assert compiled.metadata["gate_volume"] == sum(1 for line in compiled.quil.splitlines()
                                                   if line.startswith(("RX", "RZ", "CZ", "XY", "CPHASE")))


def test_modifiers_defgates_and_three_qubit_gates_are_equivalent():
    source = "\n".join([
        "DEFGATE SQRTX:", "    0.5+0.5i, 0.5-0.5i", "    0.5-0.5i, 0.5+0.5i",
        "DEFGATE PERM AS PERMUTATION:", "    0, 1, 3, 2",
        "DEFGATE ROT(%a):", "    cos(%a/2), -i*sin(%a/2)", "    -i*sin(%a/2), cos(%a/2)",
        "H 0", "SQRTX 1", "PERM 0 2", "ROT(0.7) 2", "DAGGER CONTROLLED RX(0.3) 1 0",
        "CONTROLLED CONTROLLED X 0 1 2", "FORKED RY(0.2, 1.1) 2 0", "CCNOT 2 1 0", "CSWAP 0 1 2",
        "U(0.1, 0.2, 0.3) 1", "CPHASE00(0.4) 0 2", "CPHASE10(0.9) 1 2", "DAGGER ISWAP 0 1", "",
    ])
    for device in (SQUARE_9, ASPEN):
        compiled = compile_quil(source, device, protoquil=True)
        assert_native(compiled, device)
        assert_equivalent(source, compiled)


@pytest.mark.parametrize("device", ["9q-square", "aspen-m3"])
def test_parametric_programs_stay_parametric(device):
    source = ("DECLARE theta REAL[2]\nDECLARE ro BIT[2]\nH 0\nRX(2*theta[1]+pi/2) 0\nRZ(theta[0]) 1\n"
              "CPHASE(theta[0]) 0 1\nXY(theta[1]) 1 2\nRY(-theta[0]/3) 2\nCNOT 2 0\n"
              "CONTROLLED RZ(theta[0]*theta[1]) 1 2\nDAGGER PHASE(sin(theta[1])) 0\nPSWAP(theta[0]) 0 2\n")
    compiled = compile_quil(source, DEVICES[device])
    assert "theta[0]" in compiled.quil and "theta[1]" in compiled.quil
    assert "DECLARE theta REAL[2]" in compiled.quil
    assert_native(compiled, DEVICES[device])
    for values in ([0.3, -1.2], [2.5, 0.4], [0.0, 0.0]):
        assert_equivalent(source, compiled, {"theta": values})


def test_measurements_go_to_the_same_memory_on_the_placed_qubits():
    source = "DECLARE ro BIT[3]\nDECLARE out BIT[1]\nX 4\nCNOT 4 7\nMEASURE 7 ro[2]\nMEASURE 4 out[0]\nMEASURE 0\n"
    compiled = compile_quil(source, ASPEN, protoquil=True)
    placed = dict(zip(compiled.qubit_ids, compiled.final, strict=True))
    lines = compiled.quil.splitlines()
    assert sorted(lines[:2]) == ["DECLARE out BIT[1]", "DECLARE ro BIT[3]"]
    assert f"MEASURE {placed[7]} ro[2]" in lines and f"MEASURE {placed[4]} out[0]" in lines
    assert f"MEASURE {placed[0]}" in lines


def test_classical_control_keeps_one_placement_across_blocks():
    source = ("DECLARE ro BIT[2]\nX 0\nMEASURE 0 ro[0]\nJUMP-WHEN @flip ro[0]\nJUMP @end\nLABEL @flip\n"
              "CNOT 0 2\nCNOT 2 1\nCNOT 0 1\nLABEL @end\nMEASURE 1 ro[1]\n")
    compiled = compile_quil(source, SQUARE_9)
    assert compiled.initial == compiled.final
    assert compiled.metadata is None
    text = compiled.quil
    for word in ("JUMP-WHEN @flip ro[0]", "JUMP @end", "LABEL @flip", "LABEL @end"):
        assert word in text
    # the block between the labels is itself equivalent (and restores the placement)
    block = text.split("LABEL @flip\n")[1].split("LABEL @end")[0]
    sub = type(compiled)(block, compiled.initial, compiled.final, compiled.qubit_ids, [], 0, None)
    assert_equivalent("CNOT 0 2\nCNOT 2 1\nCNOT 0 1\n", sub)
    with pytest.raises(CompileError, match="protoquil"):
        compile_quil(source, SQUARE_9, protoquil=True)


def test_preserve_block_is_kept_verbatim_on_its_qubits():
    source = ("DECLARE ro BIT[1]\nH 0\nPRAGMA PRESERVE_BLOCK\nH 1\nRX(0.25) 0\nPRAGMA END_PRESERVE_BLOCK\n"
              "CNOT 0 2\nMEASURE 2 ro[0]\n")
    compiled = compile_quil(source, SQUARE_9)
    assert "PRAGMA PRESERVE_BLOCK\nH 1\nRX(0.25) 0\nPRAGMA END_PRESERVE_BLOCK" in compiled.quil
    assert compiled.initial == [0, 1, 2] == compiled.final
    assert compiled.swaps == 2  # 0 and 2 are not neighbours: one SWAP there, one to put them back
    assert_equivalent("H 0\nH 1\nRX(0.25) 0\nCNOT 0 2\n", compiled)


def test_openqasm_input_compiles_to_quil():
    qasm = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg ro[2];\nh q[0];\ncx q[0],q[2];\n'
            'measure q[0] -> ro[0];\nmeasure q[2] -> ro[1];\n')
    compiled = compile_quil(qasm, SQUARE_9)
    assert compiled.quil.startswith("DECLARE ro BIT[2]\n")
    assert_native(compiled, SQUARE_9)
    assert_equivalent("H 0\nCNOT 0 2\n", compiled)


def test_fidelities_steer_placement_to_the_good_edge():
    device = generic_device([(0, 1), (1, 2)], [0, 1, 2], two_q_gates=("CZ",))
    device["isa"]["2Q"]["0-1"]["gates"][0]["fidelity"] = 0.80
    device["isa"]["2Q"]["1-2"]["gates"][0]["fidelity"] = 0.99
    compiled = compile_quil("CZ 0 1\n", device, protoquil=True)
    assert sorted(compiled.initial) == [1, 2]
    assert compiled.metadata["program_fidelity"] == pytest.approx(0.99)


@pytest.mark.parametrize("source,device,message", [
    ("H 0\nFOO 0 1\n", SQUARE_9, "unknown gate FOO"),
    ("H 0\nCNOT 0 (\n", SQUARE_9, "line 2"),
    ("".join(f"H {q}\n" for q in range(10)), SQUARE_9, "uses 10 qubits but the device has only 9 live qubits"),
    ("CNOT 0 1\n", generic_device([], [0, 1]), "no live 2-qubit edges"),
    ("CNOT 0 1\nCNOT 1 2\n", generic_device([(0, 1), (3, 4)], [0, 1, 2, 3, 4]), "cannot place and route"),
    ("DECLARE ro BIT[1]\nMEASURE 0 ro[3]\n", SQUARE_9, "out of range"),
    ("RX(theta[0]) 0\n", SQUARE_9, "not declared"),
    ("", SQUARE_9, "empty"),
    ("RX(1e308*10) 0\n", SQUARE_9, "not a finite number"),
    ("H 1000000\n", SQUARE_9, "qubit 1000000 is out of range"),
    ("DEFGATE A:\n    1, 1\n    1, 1\nA 0\n", SQUARE_9, "line 4: `A 0`: DEFGATE A is not unitary"),
    ("DECLARE ro BIT[1]\nMEASURE 0 ro[0]\nPULSE 0 \"rf\" flat(duration: 1e-6, iq: 1)\n", SQUARE_9,
     "line 3: .*: PULSE instructions are not supported"),
    ("DEFGATE P AS PERMUTATION:\n    0, 0\nP 0\n", SQUARE_9, "DEFGATE P AS PERMUTATION is not a permutation"),
    ("DEFGATE P AS PERMUTATION:\n    0, 1, 2\nP 0\n", SQUARE_9, "DEFGATE P AS PERMUTATION is not a permutation"),
    ("DEFGATE R(%a):\n    cos(%b), 0\n    0, 1\nR(1) 0\n", SQUARE_9, "line 4: .*DEFGATE R: %b is not one of its parameters"),
    ("DEFGATE R(%a):\n    1/%a, 0\n    0, 1\nR(0) 0\n", SQUARE_9, "DEFGATE R: cannot evaluate its matrix"),
    ("RX(exp(1000)) 0\n", SQUARE_9, "line 1: .*: cannot evaluate a gate parameter: math range error"),
    ("RX(cis(1)) 0\n", SQUARE_9, "the function cis does not give a real gate parameter"),
])
def test_bad_programs_get_clear_errors(source, device, message):
    with pytest.raises(CompileError, match=message.replace("(", r"\(")):
        compile_quil(source, device)


def test_output_is_deterministic():
    rng = np.random.default_rng(9)
    source = random_program(rng, [0, 1, 2, 3, 4], 60)
    assert compile_quil(source, ASPEN).quil == compile_quil(source, ASPEN).quil


@pytest.mark.parametrize("modifiers", [[], ["DAGGER"], ["CONTROLLED"], ["FORKED"], ["CONTROLLED", "DAGGER"]])
def test_every_standard_gate_matches_the_quil_definition(modifiers):
    from qiskit.quantum_info import Operator

    from openqcs.forest.quilc.quil_gates import STANDARD, build_gate, little_endian
    from openqcs.simulator import gates as table

    rng = np.random.default_rng(5)
    for name, (params, qubits, _) in STANDARD.items():
        want_params, want_qubits = table.modified_shape(modifiers, params, qubits)
        values = [float(v) for v in rng.uniform(-3, 3, want_params)]
        ours = little_endian(Operator(build_gate(name, modifiers, values, want_qubits, {})).data)
        quil_def = table.apply_modifiers(modifiers, lambda p, n=name: table.STANDARD[n][2](*p), values)
        assert np.allclose(ours, quil_def, atol=1e-9), name  # exactly, global phase included


def test_naive_rewiring_starts_every_qubit_where_the_program_put_it():
    source = 'PRAGMA INITIAL_REWIRING "NAIVE"\nDECLARE ro BIT[1]\nH 10\nCNOT 10 11\nMEASURE 11 ro[0]\n'
    compiled = compile_quil(source, ASPEN)
    assert compiled.initial == [10, 11]
    assert compiled.quil.splitlines()[1] == 'PRAGMA INITIAL_REWIRING "NAIVE"'
    assert_equivalent("H 10\nCNOT 10 11\n", compiled)


def test_resets_fences_and_delays_are_kept_on_the_placed_qubits():
    source = "DECLARE ro BIT[2]\nRESET\nH 3\nRESET 4\nFENCE 3 4\nDELAY 3 1e-06\nCNOT 3 4\nMEASURE 4 ro[1]\n"
    compiled = compile_quil(source, ASPEN)
    placed = dict(zip(compiled.qubit_ids, compiled.final, strict=True))
    lines = compiled.quil.splitlines()
    assert lines[1] == "RESET"
    assert f"RESET {placed[4]}" in lines
    assert f"FENCE {placed[3]} {placed[4]}" in lines and f"DELAY {placed[3]} 1e-6" in lines
    fence = lines.index(f"FENCE {placed[3]} {placed[4]}")
    assert any(line.startswith(("CZ", "XY", "CPHASE")) for line in lines[fence:])  # CNOT stays after the FENCE


def test_programs_over_the_size_limit_are_refused_with_the_limit():
    with pytest.raises(CompileError, match="at most 100000"):
        compile_quil("H 0\n" * 100_001, SQUARE_9)


def test_dead_qubits_and_edges_are_never_used():
    device = generic_device([(0, 1), (1, 2), (2, 3)], [0, 1, 2, 3], dead=(1,))
    device["isa"]["2Q"]["2-3"]["dead"] = True
    with pytest.raises(CompileError, match="no live 2-qubit edges"):
        compile_quil("CNOT 0 1\n", device)  # 0-1 and 1-2 die with qubit 1, and 2-3 is dead
    compiled = compile_quil("H 0\nX 1\nRX(0.3) 2\n", device)
    assert sorted(compiled.final) == [0, 2, 3]

