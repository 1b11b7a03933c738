"""A Quil gate application -> ``GateOp``: its matrix from our table (``gates.py``) or a DEFGATE,
with its modifiers, built once unless a parameter reads memory."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from quil.expression import Expression
from quil.instructions import Gate, GateDefinition, GateSpecification

from openqcs.simulator import gates
from openqcs.simulator.gates import Matrix
from openqcs.simulator.ir import GateOp, Memory
from openqcs.simulator.quil_expr import ExpressionError, compile_expression, real

Base = Callable[[Sequence[float]], Matrix]
EVALUATION_ERRORS = (ExpressionError, ZeroDivisionError, OverflowError, ValueError)


class GateError(ValueError):
    """What is wrong with one gate application (the parser adds the line)."""


def gate_op(gate: Gate, qubits: tuple[int, ...], text: str, defgates: Mapping[str, GateDefinition],
            lengths: Mapping[str, int]) -> GateOp:
    name = gate.name
    modifiers = [m.to_quil() for m in gate.modifiers]
    n_params, n_qubits, base = _base(name, defgates)
    want_params, want_qubits = gates.modified_shape(modifiers, n_params, n_qubits)
    if len(gate.parameters) != want_params:
        raise GateError(f"{name} takes {want_params} parameter(s), got {len(gate.parameters)}")
    if len(qubits) != want_qubits:
        raise GateError(f"{name} acts on {want_qubits} qubit(s), got {len(qubits)}")
    try:
        compiled = [compile_expression(p, lengths) for p in gate.parameters]
    except ExpressionError as exc:
        raise GateError(str(exc)) from None
    fns = [fn for fn, _ in compiled]

    def build(memory: Memory) -> Matrix:
        return gates.apply_modifiers(modifiers, base, [real(f(memory, {})) for f in fns])

    virtual = name in gates.VIRTUAL and not modifiers
    plain = not modifiers and name not in defgates
    if any(dep for _, dep in compiled):
        return GateOp(name, qubits, None, build, virtual, text, plain)
    try:
        matrix = build({})
    except EVALUATION_ERRORS as exc:
        raise GateError(f"cannot evaluate its parameters: {exc}") from None
    return GateOp(name, qubits, matrix, None, virtual, text, plain)


def _base(name: str, defgates: Mapping[str, GateDefinition]) -> tuple[int, int, Base]:
    """(parameters, qubits, matrix of the parameters) of the unmodified gate."""
    if name in defgates:
        return defgate(defgates[name])
    if name in gates.STANDARD:
        n_params, n_qubits, fn = gates.STANDARD[name]
        return n_params, n_qubits, lambda params: fn(*params)
    raise GateError(f"gate {name} is not supported (use a standard Quil gate or DEFGATE it)")


def defgate(definition: GateDefinition) -> tuple[int, int, Base]:
    match definition.specification:
        case GateSpecification.Permutation(perm):
            return _permutation(definition.name, [int(p) for p in perm])
        case GateSpecification.Matrix(rows):
            return _matrix(definition, rows)
        case GateSpecification.PauliSum():
            kind = "PAULI-SUM"
        case _:
            kind = "SEQUENCE"
    raise GateError(f"DEFGATE {definition.name} AS {kind} is not supported")


def _permutation(name: str, perm: list[int]) -> tuple[int, int, Base]:
    size = len(perm)
    if size < 2 or size & (size - 1) or sorted(perm) != list(range(size)):
        raise GateError(f"DEFGATE {name} AS PERMUTATION is not a permutation of 0..2^n-1")
    matrix = np.zeros((size, size), dtype=complex)
    for col, row in enumerate(perm):
        matrix[row, col] = 1
    return 0, size.bit_length() - 1, lambda _params: matrix


def _matrix(definition: GateDefinition, rows: list[list[Expression]]) -> tuple[int, int, Base]:
    name, params = definition.name, list(definition.parameters)
    size = len(rows)
    if size < 2 or size & (size - 1) or any(len(r) != size for r in rows):
        raise GateError(f"DEFGATE {name} is not a 2^n x 2^n matrix")
    try:
        entries = [[compile_expression(e, {})[0] for e in row] for row in rows]
    except ExpressionError as exc:
        raise GateError(f"DEFGATE {name}: {exc}") from None

    def base(values: Sequence[float]) -> Matrix:
        env: dict[str, complex] = dict(zip(params, values, strict=True))
        try:
            m = np.array([[f({}, env) for f in row] for row in entries], dtype=complex)
        except KeyError as exc:
            raise GateError(f"DEFGATE {name}: %{exc.args[0]} is not one of its parameters") from None
        if not gates.is_unitary(m, atol=1e-6):
            raise GateError(f"DEFGATE {name} is not unitary for these parameters")
        return m

    return len(params), size.bit_length() - 1, base
