"""Gate parameters between Quil and qiskit: numbers stay floats, memory references
(``theta[0]``) become qiskit ``Parameter``s named exactly like the reference, so expressions of
them survive compilation and print back as Quil."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any, TypeAlias

from qiskit.circuit import Parameter, ParameterExpression
from quil.expression import Expression, ExpressionFunction, InfixOperator, PrefixOperator

from openqcs.forest.quilc.errors import CompileError

Value: TypeAlias = "float | ParameterExpression"


class Parameters:
    """One qiskit Parameter per memory reference, checked against the DECLAREs."""

    def __init__(self, declared: dict[str, int]) -> None:
        self.declared = declared
        self.by_name: dict[str, Parameter] = {}

    def ref(self, name: str, index: int) -> Parameter:
        if name not in self.declared:
            raise CompileError(f"memory region {name!r} is not declared")
        if index >= self.declared[name]:
            raise CompileError(f"{name}[{index}] is out of range: {name} is declared with length {self.declared[name]}")
        key = f"{name}[{index}]"
        if key not in self.by_name:
            self.by_name[key] = Parameter(key)
        return self.by_name[key]


# function -> (on a number, on a ParameterExpression)
_FUNCTIONS: dict[ExpressionFunction, tuple[Callable[[float], float], Callable[[Any], Any]]] = {
    ExpressionFunction.SINE: (math.sin, lambda p: p.sin()),
    ExpressionFunction.COSINE: (math.cos, lambda p: p.cos()),
    ExpressionFunction.EXPONENT: (math.exp, lambda p: p.exp()),
    ExpressionFunction.SQUARE_ROOT: (math.sqrt, lambda p: p ** 0.5),
}


def _function(function: ExpressionFunction, value: Value) -> Value:
    if function not in _FUNCTIONS:
        raise CompileError(f"the function {str(function).lower()} does not give a real gate parameter")
    numeric, symbolic = _FUNCTIONS[function]
    if isinstance(value, ParameterExpression):
        return symbolic(value)
    if function == ExpressionFunction.SQUARE_ROOT and value < 0:
        raise CompileError("sqrt of a negative number is not a real gate parameter")
    try:
        return numeric(value)
    except (OverflowError, ValueError) as exc:
        raise CompileError(f"cannot evaluate a gate parameter: {exc}") from None


_INFIX: dict[InfixOperator, Callable[[Value, Value], Value]] = {
    InfixOperator.PLUS: operator.add, InfixOperator.MINUS: operator.sub, InfixOperator.STAR: operator.mul,
    InfixOperator.SLASH: operator.truediv, InfixOperator.CARET: operator.pow,
}


def _infix(op: InfixOperator, a: Value, b: Value) -> Value:
    try:
        return _INFIX[op](a, b)
    except (ZeroDivisionError, OverflowError, ValueError) as exc:
        raise CompileError(f"cannot evaluate a gate parameter: {exc}") from None


def to_value(expr: Expression, params: Parameters) -> Value:
    """A quil ``Expression`` as a float or a qiskit ParameterExpression."""
    match expr:
        case Expression.Number(number):
            if abs(number.imag) > 1e-12:
                raise CompileError(f"gate parameter {number} is not real")
            return number.real
        case Expression.Pi():
            return math.pi
        case Expression.Address(ref):
            return params.ref(ref.name, ref.index)
        case Expression.Variable(name):
            raise CompileError(f"%{name} is not a parameter here")
        case Expression.FunctionCall(call):
            return _function(call.function, to_value(call.expression, params))
        case Expression.Prefix(pre):
            inner = to_value(pre.expression, params)
            return -inner if pre.operator == PrefixOperator.MINUS else inner
        case Expression.Infix(inf):
            return _infix(inf.operator, to_value(inf.left, params), to_value(inf.right, params))
    raise CompileError(f"unsupported gate parameter {expr}")


_NAMED = {1: "pi", -1: "-pi", 2: "pi/2", -2: "-pi/2", 4: "pi/4", -4: "-pi/4"}


def angle_text(value: Any) -> str:
    """Quil text of an angle: exact pi fractions by name, other numbers as repr floats."""
    if isinstance(value, ParameterExpression):
        if not value.parameters:
            return angle_text(float(value))
        text = str(value).replace("**", "^")
        try:
            Expression.parse(text)
        except Exception:
            raise CompileError(f"cannot write the compiled parameter {text!r} as Quil") from None
        return text
    angle = float(value)
    for div, name in _NAMED.items():
        if math.isclose(angle, math.pi / div, rel_tol=0, abs_tol=1e-12):
            return name
    for num in (3, -3):
        if math.isclose(angle, num * math.pi / 4, rel_tol=0, abs_tol=1e-12):
            return f"{num}*pi/4"
    return repr(angle)


def wrap_angle(angle: float) -> float:
    """Into (-pi, pi]: RZ(a + 2pi) differs from RZ(a) only by a global phase."""
    wrapped = math.remainder(angle, 2 * math.pi)
    return math.pi if math.isclose(wrapped, -math.pi, abs_tol=1e-12) else wrapped
