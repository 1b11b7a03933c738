"""Quil's classical instructions (MOVE, arithmetic, logic, comparison) as closures over the
per-shot memory (``dict[name, float64 array]``)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping

from quil.instructions import (
    Arithmetic,
    ArithmeticOperand,
    ArithmeticOperator,
    BinaryLogic,
    BinaryOperand,
    BinaryOperator,
    Comparison,
    ComparisonOperand,
    ComparisonOperator,
    Convert,
    Instruction,
    Move,
    UnaryLogic,
    UnaryOperator,
)

from openqcs.simulator.ir import Memory
from openqcs.simulator.quil_expr import ExpressionError, checked_ref

Apply = Callable[[Memory], None]
Lengths = Mapping[str, int]
Read = Callable[[Memory], float]

_ARITH: dict[ArithmeticOperator, Callable[[float, float], float]] = {
    ArithmeticOperator.ADD: operator.add,
    ArithmeticOperator.SUBTRACT: operator.sub,
    ArithmeticOperator.MULTIPLY: operator.mul,
    ArithmeticOperator.DIVIDE: operator.truediv,
}
_BINARY: dict[BinaryOperator, Callable[[int, int], int]] = {
    BinaryOperator.AND: operator.and_,
    BinaryOperator.IOR: operator.or_,
    BinaryOperator.XOR: operator.xor,
}
_COMPARE: dict[ComparisonOperator, Callable[[float, float], bool]] = {
    ComparisonOperator.EQUAL: operator.eq,
    ComparisonOperator.GREATER_THAN: operator.gt,
    ComparisonOperator.GREATER_THAN_OR_EQUAL: operator.ge,
    ComparisonOperator.LESS_THAN: operator.lt,
    ComparisonOperator.LESS_THAN_OR_EQUAL: operator.le,
}


def classical_op(ins: Instruction, lengths: Lengths) -> Apply | None:
    """A closure applying the instruction to memory, or None when we do not support it."""
    match ins:
        case Instruction.Move(move):
            return _move(move, lengths)
        case Instruction.Arithmetic(arith):
            return _arithmetic(arith, lengths)
        case Instruction.BinaryLogic(logic):
            return _binary(logic, lengths)
        case Instruction.UnaryLogic(unary):
            return _unary(unary, lengths)
        case Instruction.Comparison(compare):
            return _comparison(compare, lengths)
        case Instruction.Convert(convert):
            return _convert(convert, lengths)
    return None


def _operand(op: ArithmeticOperand | BinaryOperand | ComparisonOperand, lengths: Lengths) -> Read:
    match op:
        case (ArithmeticOperand.MemoryReference(ref) | BinaryOperand.MemoryReference(ref)
              | ComparisonOperand.MemoryReference(ref)):
            name, index = checked_ref(ref, lengths)
            return lambda m: m[name][index]
        case (ArithmeticOperand.LiteralInteger(number) | ArithmeticOperand.LiteralReal(number)
              | BinaryOperand.LiteralInteger(number) | ComparisonOperand.LiteralInteger(number)
              | ComparisonOperand.LiteralReal(number)):
            value = float(number)
            return lambda m: value
    raise ExpressionError(f"unsupported operand {op.to_quil_or_debug()}")


def _move(ins: Move, lengths: Lengths) -> Apply:
    dn, di = checked_ref(ins.destination, lengths)
    src = _operand(ins.source, lengths)

    def move(m: Memory) -> None:
        m[dn][di] = src(m)

    return move


def _arithmetic(ins: Arithmetic, lengths: Lengths) -> Apply:
    dn, di = checked_ref(ins.destination, lengths)
    src = _operand(ins.source, lengths)
    fn = _ARITH[ins.operator]

    def arith(m: Memory) -> None:
        try:
            m[dn][di] = fn(m[dn][di], src(m))
        except ZeroDivisionError:
            raise ExpressionError("division by zero") from None

    return arith


def _binary(ins: BinaryLogic, lengths: Lengths) -> Apply | None:
    dn, di = checked_ref(ins.destination, lengths)
    src = _operand(ins.source, lengths)
    fn = _BINARY.get(ins.operator)
    if fn is None:
        return None

    def logic(m: Memory) -> None:
        m[dn][di] = fn(int(m[dn][di]), int(src(m)))

    return logic


def _unary(ins: UnaryLogic, lengths: Lengths) -> Apply:
    dn, di = checked_ref(ins.operand, lengths)
    neg = ins.operator == UnaryOperator.NEG

    def unary(m: Memory) -> None:
        m[dn][di] = -m[dn][di] if neg else float(not int(m[dn][di]))

    return unary


def _comparison(ins: Comparison, lengths: Lengths) -> Apply:
    dn, di = checked_ref(ins.destination, lengths)
    ln, li = checked_ref(ins.lhs, lengths)
    rhs = _operand(ins.rhs, lengths)
    fn = _COMPARE[ins.operator]

    def compare(m: Memory) -> None:
        m[dn][di] = float(fn(m[ln][li], rhs(m)))

    return compare


def _convert(ins: Convert, lengths: Lengths) -> Apply:
    dn, di = checked_ref(ins.destination, lengths)
    sn, si = checked_ref(ins.source, lengths)

    def convert(m: Memory) -> None:
        m[dn][di] = m[sn][si]

    return convert
