"""Quil's classical instructions (MOVE, arithmetic, logic, comparison) as closures over the
per-shot memory (``dict[name, float64 array]``)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping

from openqcs.simulator.quil_expr import ExpressionError, enum_name

_ARITH = {"ADD": operator.add, "SUBTRACT": operator.sub, "MULTIPLY": operator.mul, "DIVIDE": operator.truediv}
_BINARY = {"AND": operator.and_, "IOR": operator.or_, "XOR": operator.xor}
_COMPARE = {
    "EQUAL": operator.eq,
    "GREATER_THAN": operator.gt,
    "GREATER_THAN_OR_EQUAL": operator.ge,
    "LESS_THAN": operator.lt,
    "LESS_THAN_OR_EQUAL": operator.le,
}


def _ref(mref, lengths: Mapping[str, int]) -> tuple[str, int]:
    name, index = mref.name, mref.index
    if name not in lengths:
        raise ExpressionError(f"memory region {name!r} is not declared")
    if index >= lengths[name]:
        raise ExpressionError(f"{name}[{index}] is out of range: {name} has length {lengths[name]}")
    return name, index


def _operand(op, lengths) -> Callable:
    if type(op).__name__ == "MemoryReference":
        name, index = _ref(op._0, lengths)
        return lambda m: m[name][index]
    value = float(op._0)
    return lambda m: value


def classical_op(kind: str, ins, lengths: Mapping[str, int]) -> Callable | None:
    """A closure applying the instruction to memory, or None when we do not support it."""
    if kind == "Move":
        dn, di = _ref(ins.destination, lengths)
        src = _operand(ins.source, lengths)

        def move(m):
            m[dn][di] = src(m)

        return move
    if kind == "Arithmetic":
        dn, di = _ref(ins.destination, lengths)
        src = _operand(ins.source, lengths)
        fn = _ARITH[enum_name(ins.operator)]

        def arith(m):
            try:
                m[dn][di] = fn(m[dn][di], src(m))
            except ZeroDivisionError:
                raise ExpressionError("division by zero") from None

        return arith
    if kind == "BinaryLogic":
        dn, di = _ref(ins.destination, lengths)
        src = _operand(ins.source, lengths)
        fn = _BINARY.get(enum_name(ins.operator))
        if fn is None:
            return None

        def logic(m):
            m[dn][di] = fn(int(m[dn][di]), int(src(m)))

        return logic
    if kind == "UnaryLogic":
        dn, di = _ref(ins.operand, lengths)
        neg = enum_name(ins.operator) == "NEG"

        def unary(m):
            m[dn][di] = -m[dn][di] if neg else float(not int(m[dn][di]))

        return unary
    if kind == "Comparison":
        dn, di = _ref(ins.destination, lengths)
        ln, li = _ref(ins.lhs, lengths)
        rhs = _operand(ins.rhs, lengths)
        fn = _COMPARE[enum_name(ins.operator)]

        def compare(m):
            m[dn][di] = float(fn(m[ln][li], rhs(m)))

        return compare
    if kind == "Convert":
        dn, di = _ref(ins.destination, lengths)
        sn, si = _ref(ins.source, lengths)

        def convert(m):
            m[dn][di] = m[sn][si]

        return convert
    return None
