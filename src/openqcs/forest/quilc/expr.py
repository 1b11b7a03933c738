"""Gate parameters between Quil and qiskit: numbers stay floats, memory references
(``theta[0]``) become qiskit ``Parameter``s named exactly like the reference, so expressions of
them survive compilation and print back as Quil."""

from __future__ import annotations

import math
from typing import Any, TypeAlias

from qiskit.circuit import Parameter, ParameterExpression
from quil.expression import Expression

from openqcs.forest.quilc.errors import CompileError
from openqcs.simulator.quil_expr import enum_name

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


def _function(name: str, value: Value) -> Value:
    numeric = not isinstance(value, ParameterExpression)
    if name == "SINE":
        return math.sin(value) if numeric else value.sin()
    if name == "COSINE":
        return math.cos(value) if numeric else value.cos()
    if name == "EXPONENT":
        return math.exp(value) if numeric else value.exp()
    if name == "SQUARE_ROOT":
        if numeric and value < 0:
            raise CompileError("sqrt of a negative number is not a real gate parameter")
        return math.sqrt(value) if numeric else value ** 0.5
    raise CompileError(f"the function {name.lower()} does not give a real gate parameter")


def _infix(op: str, a: Value, b: Value) -> Value:
    try:
        if op == "PLUS":
            return a + b
        if op == "MINUS":
            return a - b
        if op == "STAR":
            return a * b
        if op == "SLASH":
            return a / b
        if op == "CARET":
            return a ** b
    except (ZeroDivisionError, OverflowError, ValueError) as exc:
        raise CompileError(f"cannot evaluate a gate parameter: {exc}") from None
    raise CompileError(f"unsupported operator {op}")


def to_value(expr: Any, params: Parameters, variables: dict[str, float] | None = None) -> Value:
    """A quil ``Expression`` as a float or a qiskit ParameterExpression."""
    kind = type(expr).__name__
    if kind == "Number":
        number = complex(expr._0)
        if abs(number.imag) > 1e-12:
            raise CompileError(f"gate parameter {number} is not real")
        return number.real
    if kind in ("Pi", "PiConstant"):
        return math.pi
    if kind == "Address":
        return params.ref(expr._0.name, expr._0.index)
    if kind == "Variable":
        if variables is None or expr._0 not in variables:
            raise CompileError(f"%{expr._0} is not a parameter here")
        return variables[expr._0]
    if kind == "FunctionCall":
        call = expr._0
        return _function(enum_name(call.function), to_value(call.expression, params, variables))
    if kind == "Prefix":
        inner = to_value(expr._0.expression, params, variables)
        return -inner if enum_name(expr._0.operator) == "MINUS" else inner
    if kind == "Infix":
        inf = expr._0
        return _infix(enum_name(inf.operator), to_value(inf.left, params, variables),
                      to_value(inf.right, params, variables))
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
