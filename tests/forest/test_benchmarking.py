"""quilc's benchmarking methods, checked against matrices computed here with numpy.

The gate matrices below are written out independently of the server's gate table. Full unitaries
put the i-th qubit of a sorted qubit list at the i-th tensor factor; a gate's first operand is the
most significant bit of its own matrix (the Quil spec's convention).
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import tempfile
import threading

import numpy as np
import pytest

from openqcs.forest.quilc.benchmarking import conjugate_pauli_by_clifford, generate_rb_sequence
from tests.support.clients import client_python

R2 = 1 / math.sqrt(2)
PAULI = {"I": np.eye(2), "X": np.array([[0, 1], [1, 0]]), "Y": np.array([[0, -1j], [1j, 0]]),
         "Z": np.diag([1, -1])}


def rx(t: float) -> np.ndarray:
    return np.array([[math.cos(t / 2), -1j * math.sin(t / 2)], [-1j * math.sin(t / 2), math.cos(t / 2)]])


def ry(t: float) -> np.ndarray:
    return np.array([[math.cos(t / 2), -math.sin(t / 2)], [math.sin(t / 2), math.cos(t / 2)]])


def rz(t: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


ANGLES = {"1.5707963267948966": math.pi / 2, "pi/2": math.pi / 2, "-pi/2": -math.pi / 2,
          "pi": math.pi, "-pi": -math.pi, "3*pi/2": 1.5 * math.pi}
ONE_QUBIT = {"I": np.eye(2), "X": PAULI["X"], "Y": PAULI["Y"], "Z": PAULI["Z"],
             "H": np.array([[R2, R2], [R2, -R2]]), "S": np.diag([1, 1j])}
for text, angle in ANGLES.items():
    ONE_QUBIT[f"RX({text})"] = rx(angle)
    ONE_QUBIT[f"RY({text})"] = ry(angle)
    ONE_QUBIT[f"RZ({text})"] = rz(angle)
    ONE_QUBIT[f"PHASE({text})"] = np.diag([1, np.exp(1j * angle)])
TWO_QUBIT = {"CZ": np.diag([1, 1, 1, -1]),
             "CNOT": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
             "SWAP": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
             "ISWAP": np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]])}


def gate_matrix(line: str) -> tuple[np.ndarray, list[int]]:
    """'RX(pi/2) 3' -> (matrix, [3]), from the tables above."""
    head, *rest = line.split(" ")
    operands = [int(q) for q in rest]
    table = TWO_QUBIT if len(operands) == 2 else ONE_QUBIT
    return np.asarray(table[head], dtype=complex), operands


def embed(matrix: np.ndarray, targets: list[int], qubits: list[int]) -> np.ndarray:
    """The gate on ``targets`` as an operator on all of ``qubits``, column by column."""
    n = len(qubits)
    pos = [qubits.index(t) for t in targets]
    full = np.zeros((2**n, 2**n), dtype=complex)
    for col in range(2**n):
        bits = [(col >> (n - 1 - i)) & 1 for i in range(n)]
        sub = sum(bits[p] << (len(pos) - 1 - k) for k, p in enumerate(pos))
        for out_sub in range(2 ** len(pos)):
            out = list(bits)
            for k, p in enumerate(pos):
                out[p] = (out_sub >> (len(pos) - 1 - k)) & 1
            row = sum(b << (n - 1 - i) for i, b in enumerate(out))
            full[row, col] += matrix[out_sub, sub]
    return full


def program_unitary(lines: list[str], qubits: list[int]) -> np.ndarray:
    total = np.eye(2 ** len(qubits), dtype=complex)
    for line in lines:
        matrix, targets = gate_matrix(line)
        total = embed(matrix, targets, qubits) @ total  # later gates on the left
    return total


def pauli_matrix(letters: str) -> np.ndarray:
    out = np.eye(1)
    for letter in letters:
        out = np.kron(out, PAULI[letter])
    return out


def proportional_to(a: np.ndarray, b: np.ndarray) -> bool:
    phase = np.vdot(b, a) / a.shape[0]
    return bool(abs(abs(phase) - 1) < 1e-9 and np.allclose(a, phase * b, atol=1e-9))


# --- conjugate_pauli_by_clifford -------------------------------------------------------------


def check_conjugation(indices: list[int], symbols: list[str], lines: list[str]) -> None:
    """C P C† == 1j**phase * P', reading P' the way pyquil does (_benchmark.py lines 76-83)."""
    phase, letters = conjugate_pauli_by_clifford(indices, symbols, "\n".join(lines) + "\n")
    clifford_qubits = {q for line in lines for q in gate_matrix(line)[1]}
    all_qubits = sorted(set(indices) | clifford_qubits)
    assert len(letters) == len(all_qubits) and set(letters) <= set("IXYZ")
    assert phase in (0, 1, 2, 3)
    term = dict(zip(indices, symbols, strict=True))
    p_in = pauli_matrix("".join(term.get(q, "I") for q in all_qubits))
    c = program_unitary(lines, all_qubits)
    assert np.allclose(c @ p_in @ c.conj().T, (1j**phase) * pauli_matrix(letters), atol=1e-9), (indices, symbols, lines)


def test_pyquils_own_example_h_turns_x_into_z():
    assert conjugate_pauli_by_clifford([0], ["X"], "H 0\n") == (0, "Z")


def test_sign_comes_back_as_a_phase():
    assert conjugate_pauli_by_clifford([0], ["Y"], "S 0\n") == (2, "X")  # S Y S† = -X
    check_conjugation([0], ["Y"], ["S 0"])


def test_unsorted_indices_are_read_by_qubit_not_by_position():
    # pyquil builds indices from a set, so [1, 0] arrives as often as [0, 1].
    assert conjugate_pauli_by_clifford([1, 0], ["Z", "X"], "H 0\nCNOT 0 1\n") == (0, "IZ")
    check_conjugation([1, 0], ["Z", "X"], ["H 0", "CNOT 0 1"])
    check_conjugation([7, 2], ["X", "Y"], ["CNOT 7 2", "S 2"])


def test_qubits_only_in_the_clifford_get_a_letter_too():
    assert conjugate_pauli_by_clifford([3], ["Z"], "H 1\n") == (0, "IZ")
    assert conjugate_pauli_by_clifford([1], ["X"], "CNOT 1 4\n") == (0, "XX")
    check_conjugation([5], ["X"], ["CNOT 5 9", "H 2"])


def test_empty_clifford_is_the_identity():
    assert conjugate_pauli_by_clifford([2, 0], ["Y", "Z"], "") == (0, "ZY")  # qubits 0 and 2 only


@pytest.mark.parametrize("seed", range(40))
def test_random_cliffords_match_numpy(seed):
    rng = random.Random(seed)
    pool = [0, 1, 4]
    lines = []
    for _ in range(rng.randint(1, 8)):
        if rng.random() < 0.4:
            a, b = rng.sample(pool, 2)
            lines.append(f"{rng.choice(list(TWO_QUBIT))} {a} {b}")
        else:
            lines.append(f"{rng.choice(list(ONE_QUBIT))} {rng.choice(pool)}")
    indices = rng.sample([0, 1, 4, 6], rng.randint(1, 3))
    symbols = [rng.choice("XYZ") for _ in indices]
    check_conjugation(indices, symbols, lines)


@pytest.mark.parametrize("clifford, message", [
    ("T 0\n", "not a Clifford"),
    ("RX(pi/3) 0\n", "not a Clifford"),
    ("RX(1.5) 0\n", "not a Clifford"),  # close to pi/2, but not it
    ("H 0\nCPHASE(pi/4) 0 1\n", "CPHASE"),
    ("H 0\nMEASURE 0\n", "only gates"),
    ("DECLARE theta REAL\nRX(theta) 0\n", "read memory"),
    ("H 0 (\n", "not valid Quil"),
    ("FROB 0\n", "not supported"),
])
def test_conjugation_refuses_what_is_not_a_clifford(clifford, message):
    with pytest.raises(ValueError, match=message):
        conjugate_pauli_by_clifford([0], ["X"], clifford)


@pytest.mark.parametrize("indices, symbols, message", [
    ([0, 1], ["X"], "2 indices but 1 symbols"),
    ([0], ["W"], "one of I, X, Y, Z"),
    ([-1], ["X"], "non-negative"),
    ([1, 1], ["X", "Z"], "appears twice"),
])
def test_conjugation_refuses_a_malformed_pauli(indices, symbols, message):
    with pytest.raises(ValueError, match=message):
        conjugate_pauli_by_clifford(indices, symbols, "H 0\n")


# --- generate_rb_sequence --------------------------------------------------------------------

ONE_Q = ["RX(-pi) {0}", "RZ(-pi) {0}", "RX(-pi/2) {0}", "RZ(-pi/2) {0}",
         "RX(pi/2) {0}", "RZ(pi/2) {0}", "RX(pi) {0}", "RZ(pi) {0}"]  # forest-benchmarking's


def rb_gateset(*qubits: int) -> list[str]:
    gates = [g.format(q) for q in qubits for g in ONE_Q]
    return gates + ([f"CZ {qubits[0]} {qubits[1]}"] if len(qubits) == 2 else [])


def pyquil_programs(sequence: list[list[int]], gateset: list[str]) -> list[list[str]]:
    """The programs pyquil 4.22 builds from the reply (_benchmark.py lines 146-156): each
    Clifford applies its indices in reverse order, and the list of Cliffords is reversed."""
    programs = [[gateset[index] for index in reversed(clifford)] for clifford in sequence]
    return list(reversed(programs))


def gate_qubits(lines: list[str]) -> list[int]:
    return sorted({q for line in lines for q in gate_matrix(line)[1]})


def check_sequence(sequence, gateset, depth, interleaver=None):
    """The whole RB program is the identity; with an interleaver, every other Clifford is it."""
    assert all(isinstance(w, list) and w and all(isinstance(i, int) and 0 <= i < len(gateset) for i in w)
               for w in sequence)
    programs = pyquil_programs(sequence, gateset)
    assert len(programs) == (2 * depth - 1 if interleaver else depth)
    qubits = gate_qubits(gateset)
    whole = program_unitary([line for p in programs for line in p], qubits)
    assert proportional_to(whole, np.eye(len(whole))), "the sequence does not compose to the identity"
    if interleaver:
        wanted = program_unitary(interleaver, qubits)
        for program in programs[1:-1:2]:
            assert proportional_to(program_unitary(program, qubits), wanted)
    return [program_unitary(p, qubits) for p in programs]


@pytest.mark.parametrize("qubits", [(0,), (0, 1), (5,), (6, 2)])
@pytest.mark.parametrize("interleaver", [None, "first"])
def test_rb_sequence_composes_to_the_identity(qubits, interleaver):
    gateset = rb_gateset(*qubits)
    lines = [f"H {qubits[0]}"] + ([f"CNOT {qubits[1]} {qubits[0]}"] if len(qubits) == 2 else [])
    inter = lines if interleaver else None
    for seed in (1, 2, 3):
        sequence = generate_rb_sequence(12, len(qubits), gateset, seed, "\n".join(inter) + "\n" if inter else None)
        check_sequence(sequence, gateset, 12, inter)


def test_pyquils_test_gateset_of_phase_and_h():
    gateset = ["PHASE(1.5707963267948966) 0", "H 0"]  # what pyquil sends for PHASE(pi/2) 0, H 0
    check_sequence(generate_rb_sequence(2, 1, gateset, 52, None), gateset, 2)


def test_the_random_cliffords_are_spread_over_the_group():
    gateset = rb_gateset(0, 1)
    unitaries = check_sequence(generate_rb_sequence(60, 2, gateset, 9, None), gateset, 60)
    distinct = []
    for u in unitaries:
        if not any(proportional_to(u, d) for d in distinct):
            distinct.append(u)
    assert len(distinct) > 40  # 59 draws from 11,520 elements rarely repeat


def test_the_same_seed_gives_the_same_sequence_and_others_differ():
    gateset = rb_gateset(0, 1)
    first = generate_rb_sequence(20, 2, gateset, 7, None)
    assert generate_rb_sequence(20, 2, gateset, 7, None) == first
    assert generate_rb_sequence(20, 2, gateset, 8, None) != first
    assert generate_rb_sequence(20, 2, gateset, None, None) != generate_rb_sequence(20, 2, gateset, None, None)
    check_sequence(generate_rb_sequence(5, 2, gateset, 0, None), gateset, 5)  # quilc takes seed 0


def test_an_identity_clifford_still_gets_gates():
    gateset = rb_gateset(0)
    sequence = generate_rb_sequence(6, 1, gateset, 3, "I 0\n")
    check_sequence(sequence, gateset, 6, ["I 0"])
    assert all(len(word) >= 1 for word in sequence)


def test_a_two_qubit_gateset_of_cnot_h_and_s():
    gateset = ["H 0", "S 0", "H 1", "S 1", "CNOT 0 1"]
    check_sequence(generate_rb_sequence(8, 2, gateset, 4, "SWAP 0 1\n"), gateset, 8, ["SWAP 0 1"])


@pytest.mark.parametrize("depth, qubits, gateset, seed, interleaver, message", [
    (5, 3, ["H 0", "S 0", "H 1", "S 1", "H 2", "CZ 0 1", "CZ 1 2"], 1, None, "1 or 2 qubits"),
    (5, 0, ["H 0"], 1, None, "1 or 2 qubits"),
    (1, 1, ["H 0", "S 0"], 1, None, "at least 2"),
    (0, 1, ["H 0", "S 0"], 1, None, "at least 2"),
    (10**9, 1, ["H 0", "S 0"], 1, None, "at most"),
    (5, 1, ["H 0", "S 0"], -3, None, "non-negative"),
    (5, 1, ["H 0", "S 0"], 1.5, None, "non-negative"),
    (5, 1, ["RZ(pi/2) 0"], 1, None, "generates 4 of the 24"),
    (5, 2, ["H 0", "S 0", "H 1", "S 1"], 1, None, "of the 11520"),
    (5, 1, ["H 0", "T 0"], 1, None, "not a Clifford"),
    (5, 1, ["H 0", "RX(1.5) 0"], 1, None, "not a Clifford"),
    (5, 1, ["H 0", "S 0", "S 1"], 1, None, "more than the 1"),
    (5, 1, ["H 0", "S 0 ("], 1, None, "not valid Quil"),
    (5, 1, ["H 0", ""], 1, None, "empty"),
    (5, 1, [], 1, None, "non-empty"),
    (5, 1, ["H 0", "S 0"], 1, "T 0\n", "interleaver"),
    (5, 1, ["H 0", "S 0"], 1, "MEASURE 0\n", "only gates"),
    (5, 1, ["H 0", "S 0"], 1, "H 3\n", "more than the 1"),
])
def test_rb_refuses_bad_requests(depth, qubits, gateset, seed, interleaver, message):
    with pytest.raises(ValueError, match=message):
        generate_rb_sequence(depth, qubits, gateset, seed, interleaver)


# --- pyquil's own BenchmarkConnection decoding our replies -----------------------------------

PYQUIL_SCRIPT = """
import json, sys
from types import SimpleNamespace
import numpy as np
from pyquil import Program
from pyquil.api import BenchmarkConnection
from pyquil.gates import CNOT, CZ, H, RX, RZ, S, SWAP
from pyquil.paulis import sX, sY, sZ
from pyquil.simulation.tools import lifted_pauli, program_unitary

class Pipe:
    # Stands in for the rpcq transport only: the test process answers with openqcs's functions.
    def ask(self, message):
        print(json.dumps(message), flush=True)
        return SimpleNamespace(**json.loads(sys.stdin.readline()))
    def conjugate_pauli_by_clifford(self, r):
        return self.ask({"indices": list(r.pauli.indices), "symbols": list(r.pauli.symbols), "clifford": r.clifford})
    def generate_randomized_benchmarking_sequence(self, r):
        return self.ask({"depth": r.depth, "qubits": r.qubits, "gateset": list(r.gateset), "seed": r.seed,
                         "interleaver": r.interleaver})

def same(a, b):
    phase = np.vdot(b, a) / a.shape[0]
    return bool(abs(abs(phase) - 1) < 1e-9 and np.allclose(a, phase * b, atol=1e-9))

bm = object.__new__(BenchmarkConnection)
bm._compiler_client = Pipe()
out = {"example": str(bm.apply_clifford_to_pauli(Program(H(0)), sX(0))), "conjugations": []}
cases = [(Program(H(0), CNOT(0, 1)), sZ(1) * sX(0)), (Program(S(2), CNOT(2, 4)), sY(2)),
         (Program(H(3)), sZ(1) * sY(0)), (Program(CZ(0, 3), H(3), S(0)), sX(3) * sZ(0) * 0.5)]
for clifford, pauli in cases:
    result = bm.apply_clifford_to_pauli(clifford, pauli)
    u = program_unitary(clifford, 5)
    qubits = list(range(5))
    out["conjugations"].append(bool(np.allclose(u @ lifted_pauli(pauli, qubits) @ u.conj().T,
                                                lifted_pauli(result, qubits), atol=1e-9)))
out["rb"] = []
gates_1q = lambda q: [g(a, q) for a in (-np.pi, -np.pi / 2, np.pi / 2, np.pi) for g in (RX, RZ)]
for gateset, interleaver, n in [(gates_1q(5), None, 6), (gates_1q(5) + gates_1q(6) + [CZ(5, 6)], None, 7),
                                (gates_1q(5) + gates_1q(6) + [CZ(5, 6)], Program(SWAP(5, 6)), 7)]:
    programs = bm.generate_rb_sequence(depth=6, gateset=gateset, seed=11, interleaver=interleaver)
    whole = program_unitary(sum(programs, Program()), n)
    ok = same(whole, np.eye(2 ** n))
    if interleaver is not None:
        ok = ok and all(same(program_unitary(p, n), program_unitary(interleaver, n)) for p in programs[1:-1:2])
    out["rb"].append([len(programs), ok])
print(json.dumps({"result": out}), flush=True)
"""


def answer(request: dict) -> dict:
    if "clifford" in request:
        phase, pauli = conjugate_pauli_by_clifford(request["indices"], request["symbols"], request["clifford"])
        return {"phase": phase, "pauli": pauli}
    return {"sequence": generate_rb_sequence(request["depth"], request["qubits"], request["gateset"],
                                             request["seed"], request["interleaver"])}


@pytest.mark.clients
def test_pyquils_benchmark_connection_reads_our_replies_right():
    """pyquil 4.22's apply_clifford_to_pauli and generate_rb_sequence, fed our replies, agree with
    pyquil's own matrices (program_unitary, lifted_pauli)."""
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen([str(client_python("pyquil")), "-c", PYQUIL_SCRIPT], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=errors, text=True)
        watchdog = threading.Timer(120, proc.kill)
        watchdog.start()
        try:
            result = None
            for line in proc.stdout:
                message = json.loads(line)
                if "result" in message:
                    result = message["result"]
                    break
                proc.stdin.write(json.dumps(answer(message)) + "\n")
                proc.stdin.flush()
            proc.wait(timeout=60)
        finally:
            watchdog.cancel()
            proc.kill()
        errors.seek(0)
        assert result is not None, errors.read()[-3000:]
    assert result["example"] == "(1+0j)*Z0"  # pyquil's own test expectation
    assert result["conjugations"] == [True] * 4
    assert result["rb"] == [[6, True], [6, True], [11, True]]
