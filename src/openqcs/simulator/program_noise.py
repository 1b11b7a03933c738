"""Noise a program or its caller states, rather than a processor's calibration: the QVM's model.

- ``PRAGMA ADD-KRAUS <gate> <qubits> "(<entries>)"``: one Kraus operator per pragma; together
  they *replace* that gate on those qubits (pyquil's noisy QVMs fold the ideal gate into them);
- ``PRAGMA READOUT-POVM <q> "(p00 p01 p10 p11)"``: p(j|k) of recording j when the qubit is k;
- gate noise (px, py, pz): a Pauli channel after every gate on each of its qubits, and on every
  qubit after a whole-machine RESET;
- measurement noise (px, py, pz): a Pauli channel just before each MEASURE.

Pragmas name physical qubits; engines ask with dense ones (``physical[i]`` is dense qubit i).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import quil
from quil.expression import Expression

from openqcs.errors import InvalidArgument
from openqcs.simulator.gates import Matrix
from openqcs.simulator.ir import GateOp, MeasureOp, Op, ParsedProgram, Pragma, ResetOp
from openqcs.simulator.noise import Around, Channels, Kraus, Pauli
from openqcs.simulator.quil_expr import compile_expression

KRAUS_TOLERANCE = 1e-5  # the QVM's own check of sum K^dagger K = I
PauliTriple = tuple[float, float, float]


@dataclass
class ProgramNoise:
    physical: list[int]
    gate_pauli: PauliTriple | None = None
    measure_pauli: PauliTriple | None = None
    kraus: dict[tuple[str, tuple[int, ...]], Kraus] = field(default_factory=dict)  # physical qubits
    povm: dict[int, tuple[float, float]] = field(default_factory=dict)  # physical -> (p10, p01)
    _cache: dict[tuple[int, ...], Channels] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.reset_fail = [0.0] * len(self.physical)  # RESET itself is exact on the QVM

    @property
    def has_kraus(self) -> bool:
        return bool(self.kraus)

    def gate_kraus(self, name: str, qubits: tuple[int, ...]) -> Kraus | None:
        if not self.kraus:
            return None
        found = self.kraus.get((name, tuple(self.physical[q] for q in qubits)))
        if found is None:
            return None
        return Kraus(qubits, found.ops, found.key)  # the same operators on dense qubits

    def gate_channels(self, name: str, qubits: tuple[int, ...], virtual: bool) -> Channels:
        if self.gate_pauli is None:
            return ()
        found = self._cache.get(qubits)
        if found is None:
            found = self._cache[qubits] = tuple(Pauli(q, *self.gate_pauli) for q in qubits)
        return found

    def measure_channels(self, qubit: int) -> Channels:
        return () if self.measure_pauli is None else (Pauli(qubit, *self.measure_pauli),)

    def reset_channels(self, text: str) -> Channels:
        # As the QVM: a whole-machine RESET is followed by gate noise on every qubit.
        if self.gate_pauli is None or text.strip() != "RESET":
            return ()
        return tuple(Pauli(q, *self.gate_pauli) for q in range(len(self.physical)))

    def readout_error(self, qubit: int) -> tuple[float, float]:
        return self.povm.get(self.physical[qubit], (0.0, 0.0))

    def around(self, op: Op) -> Around:
        """(channels before, channels after) an instruction, as engines ask for them."""
        if isinstance(op, GateOp):
            return (), self.gate_channels(op.name, op.qubits, op.virtual)
        if isinstance(op, MeasureOp):
            return self.measure_channels(op.qubit), ()
        if isinstance(op, ResetOp):
            return (), self.reset_channels(op.text)
        return (), ()


def pauli_triple(value: object, what: str) -> PauliTriple | None:
    """Check a request's [px, py, pz]; None (absent) means no noise."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 3 or not all(
            isinstance(p, (int, float)) and not isinstance(p, bool) for p in value):
        raise InvalidArgument(f"{what} must be a list of three probabilities [px, py, pz], got {value!r}")
    px, py, pz = (float(p) for p in value)
    if min(px, py, pz) < 0 or px + py + pz > 1 + 1e-12:
        raise InvalidArgument(f"{what} {value!r}: each probability must be at least 0 and their sum at most 1")
    if px == py == pz == 0:
        return None
    return px, py, pz


def program_noise(program: ParsedProgram, gate_noise: PauliTriple | None = None,
                  measurement_noise: PauliTriple | None = None) -> ProgramNoise | None:
    """The noise a program's pragmas and a request's noise fields describe; None when noiseless."""
    kraus: dict[tuple[str, tuple[int, ...]], list[Matrix]] = {}
    povm: dict[int, tuple[float, float]] = {}
    for pragma in program.pragmas:
        if pragma.name == "ADD-KRAUS":
            gate, qubits, matrix = _kraus_pragma(pragma)
            kraus.setdefault((gate, qubits), []).append(matrix)
        elif pragma.name == "READOUT-POVM":
            qubit, pair = _povm_pragma(pragma)
            povm[qubit] = pair
    if not (kraus or povm or gate_noise or measurement_noise):
        return None
    maps = {key: _kraus_map(key, ops) for key, ops in kraus.items()}
    return ProgramNoise(list(program.qubits), gate_noise, measurement_noise, maps, povm)


def _entries(pragma: Pragma) -> list[complex]:
    data = (pragma.data or "").strip()
    if not (data.startswith("(") and data.endswith(")")):
        raise InvalidArgument(f"`{pragma.text}`: the matrix must be a quoted list \"(a b c ...)\"")
    values: list[complex] = []
    for token in data[1:-1].split():
        try:
            fn, _ = compile_expression(Expression.parse(token), {})
            values.append(complex(fn({}, {})))
        except (quil.QuilError, ArithmeticError, ValueError, KeyError):  # KeyError: a %variable
            raise InvalidArgument(f"`{pragma.text}`: {token!r} is not a number") from None
    return values


def _qubit(text: str, pragma: Pragma) -> int:
    if not text.isdigit():
        raise InvalidArgument(f"`{pragma.text}`: {text!r} is not a qubit index")
    return int(text)


def _kraus_pragma(pragma: Pragma) -> tuple[str, tuple[int, ...], Matrix]:
    if len(pragma.arguments) < 2:
        raise InvalidArgument(f"`{pragma.text}`: ADD-KRAUS needs a gate name and its qubits")
    gate, *rest = pragma.arguments
    qubits = tuple(_qubit(q, pragma) for q in rest)
    size = 2 ** len(qubits)
    values = _entries(pragma)
    if len(values) != size * size:
        raise InvalidArgument(f"`{pragma.text}`: a Kraus operator on {len(qubits)} qubit(s) has {size * size} "
                              f"entries, got {len(values)}")
    return gate, qubits, np.array(values, dtype=complex).reshape(size, size)


def _povm_pragma(pragma: Pragma) -> tuple[int, tuple[float, float]]:
    if len(pragma.arguments) != 1:
        raise InvalidArgument(f"`{pragma.text}`: READOUT-POVM takes one qubit")
    qubit = _qubit(pragma.arguments[0], pragma)
    values = _entries(pragma)
    if len(values) != 4 or any(abs(v.imag) > 1e-12 or not 0 <= v.real <= 1 for v in values):
        raise InvalidArgument(f"`{pragma.text}`: READOUT-POVM takes four probabilities (p00 p01 p10 p11)")
    p00, p01, p10, p11 = (v.real for v in values)
    if abs(p00 + p10 - 1) > 1e-6 or abs(p01 + p11 - 1) > 1e-6:
        raise InvalidArgument(f"`{pragma.text}`: each column must sum to 1 (p00 + p10 = p01 + p11 = 1)")
    return qubit, (p10, p01)


def _kraus_map(key: tuple[str, tuple[int, ...]], ops: list[Matrix]) -> Kraus:
    total: Matrix = np.sum([k.conj().T @ k for k in ops], axis=0)
    if not np.allclose(total, np.eye(total.shape[0]), atol=KRAUS_TOLERANCE):
        raise InvalidArgument(f"the ADD-KRAUS operators for {key[0]} on qubit(s) {' '.join(map(str, key[1]))} "
                              "do not preserve trace (the sum of K^dagger K must be the identity)")
    # Renormalize the round-off away: engines check complete positivity far more strictly.
    values, vectors = np.linalg.eigh(total)
    fix = vectors @ np.diag(values ** -0.5) @ vectors.conj().T
    fixed = tuple(k @ fix for k in ops)
    return Kraus(key[1], fixed, b"".join(k.tobytes() for k in fixed))
