"""Compile ``quil`` expressions into plain Python closures, evaluated once per execution (or per
shot) against our own memory arrays: ``Expression.evaluate`` converts the whole memory map on
every call, far too slow for long parametric programs."""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Mapping

import numpy as np

# (memory, variables) -> value
Compiled = Callable[[Mapping[str, np.ndarray], Mapping[str, complex]], complex]


class ExpressionError(ValueError):
    pass


def enum_name(value) -> str:
    """Name of a ``quil`` enum member (these enums carry no ``.name``)."""
    cls = type(value)
    for name in dir(cls):
        if name.isupper() and getattr(cls, name) == value:
            return name
    return str(value).upper()


_FUNCTIONS = {
    "CIS": lambda x: cmath.exp(1j * x),
    "COSINE": cmath.cos,
    "EXPONENT": cmath.exp,
    "SINE": cmath.sin,
    "SQUARE_ROOT": cmath.sqrt,
}


def _infix(op: str, a: Compiled, b: Compiled) -> Compiled:
    if op == "PLUS":
        return lambda m, v: a(m, v) + b(m, v)
    if op == "MINUS":
        return lambda m, v: a(m, v) - b(m, v)
    if op == "STAR":
        return lambda m, v: a(m, v) * b(m, v)
    if op == "SLASH":
        return lambda m, v: a(m, v) / b(m, v)
    if op == "CARET":
        return lambda m, v: a(m, v) ** b(m, v)
    raise ExpressionError(f"unsupported operator {op}")


def compile_expression(expr, declared: Mapping[str, int]) -> tuple[Compiled, bool]:
    """Return (closure, depends_on_memory). Memory references are checked against ``declared``
    (region name -> length) here, so evaluation never fails on a bad reference."""
    kind = type(expr).__name__
    if kind == "Number":
        value = complex(expr._0)
        return (lambda m, v: value), False
    if kind in ("Pi", "PiConstant"):
        return (lambda m, v: math.pi), False
    if kind == "Address":
        ref = expr._0
        name, index = ref.name, ref.index
        if name not in declared:
            raise ExpressionError(f"memory region {name!r} is not declared")
        if index >= declared[name]:
            raise ExpressionError(f"{name}[{index}] is out of range: {name} has length {declared[name]}")
        return (lambda m, v: m[name][index]), True
    if kind == "Variable":
        var = expr._0
        return (lambda m, v: v[var]), False
    if kind == "FunctionCall":
        call = expr._0
        fn = _FUNCTIONS.get(enum_name(call.function))
        if fn is None:
            raise ExpressionError(f"unsupported function {enum_name(call.function)}")
        inner, dep = compile_expression(call.expression, declared)
        return (lambda m, v: fn(inner(m, v))), dep
    if kind == "Prefix":
        pre = expr._0
        inner, dep = compile_expression(pre.expression, declared)
        if enum_name(pre.operator) == "MINUS":
            return (lambda m, v: -inner(m, v)), dep
        return inner, dep
    if kind == "Infix":
        inf = expr._0
        left, dl = compile_expression(inf.left, declared)
        right, dr = compile_expression(inf.right, declared)
        return _infix(enum_name(inf.operator), left, right), dl or dr
    raise ExpressionError(f"unsupported expression {expr}")


def real(value: complex) -> float:
    """A gate parameter must be real; tolerate round-off in the imaginary part."""
    if isinstance(value, complex):
        if abs(value.imag) > 1e-9:
            raise ExpressionError(f"parameter evaluates to a complex number {value}")
        return value.real
    return float(value)
