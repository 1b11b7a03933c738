"""Compile ``quil`` expressions into plain Python closures, evaluated once per execution (or per
shot) against our own memory arrays: ``Expression.evaluate`` converts the whole memory map on
every call, far too slow for long parametric programs."""

from __future__ import annotations

import cmath
import math
import operator
from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import NDArray
from quil.expression import Expression, ExpressionFunction, InfixOperator, PrefixOperator
from quil.instructions import MemoryReference

# (memory, variables) -> value
Compiled = Callable[[Mapping[str, NDArray[np.float64]], Mapping[str, complex]], complex]


class ExpressionError(ValueError):
    pass


def enum_name(value: object) -> str:
    """Name of a ``quil`` enum member (these enums carry no ``.name``)."""
    cls = type(value)
    for name in dir(cls):
        if name.isupper() and getattr(cls, name) == value:
            return name
    return str(value).upper()


_FUNCTIONS: dict[ExpressionFunction, Callable[[complex], complex]] = {
    ExpressionFunction.CIS: lambda x: cmath.exp(1j * x),
    ExpressionFunction.COSINE: cmath.cos,
    ExpressionFunction.EXPONENT: cmath.exp,
    ExpressionFunction.SINE: cmath.sin,
    ExpressionFunction.SQUARE_ROOT: cmath.sqrt,
}
_INFIX: dict[InfixOperator, Callable[[complex, complex], complex]] = {
    InfixOperator.PLUS: operator.add,
    InfixOperator.MINUS: operator.sub,
    InfixOperator.STAR: operator.mul,
    InfixOperator.SLASH: operator.truediv,
    InfixOperator.CARET: operator.pow,
}


def checked_ref(ref: MemoryReference, declared: Mapping[str, int]) -> tuple[str, int]:
    """(name, index) of a reference into a declared region (region name -> length)."""
    name, index = ref.name, ref.index
    if name not in declared:
        raise ExpressionError(f"memory region {name!r} is not declared")
    if index >= declared[name]:
        raise ExpressionError(f"{name}[{index}] is out of range: {name} has length {declared[name]}")
    return name, index


def compile_expression(expr: Expression, declared: Mapping[str, int]) -> tuple[Compiled, bool]:
    """Return (closure, depends_on_memory). Memory references are checked against ``declared``
    (region name -> length) here, so evaluation never fails on a bad reference."""
    match expr:
        case Expression.Number(number):
            value = complex(number)
            return (lambda m, v: value), False
        case Expression.Pi():
            return (lambda m, v: math.pi), False
        case Expression.Address(ref):
            name, index = checked_ref(ref, declared)
            return (lambda m, v: m[name][index]), True
        case Expression.Variable(var):
            return (lambda m, v: v[var]), False
        case Expression.FunctionCall(call):
            return _function(call.function, *compile_expression(call.expression, declared))
        case Expression.Prefix(pre):
            inner, dep = compile_expression(pre.expression, declared)
            if pre.operator == PrefixOperator.MINUS:
                return (lambda m, v: -inner(m, v)), dep
            return inner, dep
        case Expression.Infix(inf):
            left, dl = compile_expression(inf.left, declared)
            right, dr = compile_expression(inf.right, declared)
            op = _INFIX[inf.operator]
            return (lambda m, v: op(left(m, v), right(m, v))), dl or dr
    raise ExpressionError(f"unsupported expression {expr}")


def _function(function: ExpressionFunction, inner: Compiled, dep: bool) -> tuple[Compiled, bool]:
    fn = _FUNCTIONS.get(function)
    if fn is None:
        raise ExpressionError(f"unsupported function {enum_name(function)}")
    return (lambda m, v: fn(inner(m, v))), dep


def real(value: complex) -> float:
    """A gate parameter must be real; tolerate round-off in the imaginary part."""
    if isinstance(value, complex):
        if abs(value.imag) > 1e-9:
            raise ExpressionError(f"parameter evaluates to a complex number {value}")
        return value.real
    return float(value)
