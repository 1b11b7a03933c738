"""Quil's standard gate matrices, in Quil's order: the first qubit operand is the most significant
bit of the matrix index (big-endian), as in the Quil spec and pyquil.

``quil``'s own ``to_unitary`` is not used: it returns RY's matrix for RZ and rejects XY.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.complex128]


def _m(rows: Sequence[Sequence[complex]]) -> Matrix:
    return np.array(rows, dtype=complex)


_S2 = 1 / math.sqrt(2)
_I = _m([[1, 0], [0, 1]])
_X = _m([[0, 1], [1, 0]])
_Y = _m([[0, -1j], [1j, 0]])
_Z = _m([[1, 0], [0, -1]])
_H = _m([[_S2, _S2], [_S2, -_S2]])
_S = _m([[1, 0], [0, 1j]])
_T = _m([[1, 0], [0, cmath.exp(1j * math.pi / 4)]])
_CZ = np.diag([1, 1, 1, -1]).astype(complex)
_CNOT = _m([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
_SWAP = _m([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
_ISWAP = _m([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]])


def _rx(t: float) -> Matrix:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return _m([[c, -1j * s], [-1j * s, c]])


def _ry(t: float) -> Matrix:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return _m([[c, -s], [s, c]])


def _rz(t: float) -> Matrix:
    return _m([[cmath.exp(-0.5j * t), 0], [0, cmath.exp(0.5j * t)]])


def _phase(p: float) -> Matrix:
    return _m([[1, 0], [0, cmath.exp(1j * p)]])


def _u(theta: float, phi: float, lam: float) -> Matrix:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return _m([[c, -cmath.exp(1j * lam) * s], [cmath.exp(1j * phi) * s, cmath.exp(1j * (phi + lam)) * c]])


def _cphase_at(index: int) -> Callable[[float], Matrix]:
    def build(p: float) -> Matrix:
        d = np.ones(4, dtype=complex)
        d[index] = cmath.exp(1j * p)
        return np.diag(d)

    return build


def _pswap(p: float) -> Matrix:
    e = cmath.exp(1j * p)
    return _m([[1, 0, 0, 0], [0, 0, e, 0], [0, e, 0, 0], [0, 0, 0, 1]])


def _xy(t: float) -> Matrix:
    c, s = math.cos(t / 2), 1j * math.sin(t / 2)
    return _m([[1, 0, 0, 0], [0, c, s, 0], [0, s, c, 0], [0, 0, 0, 1]])


def _controlled(u: Matrix) -> Matrix:
    n = u.shape[0]
    out = np.eye(2 * n, dtype=complex)
    out[n:, n:] = u
    return out


def _const(m: Matrix) -> Callable[[], Matrix]:
    return lambda: m


# name -> (parameter count, qubit count, builder(*params) -> matrix)
STANDARD: dict[str, tuple[int, int, Callable[..., Matrix]]] = {
    "I": (0, 1, _const(_I)),
    "X": (0, 1, _const(_X)),
    "Y": (0, 1, _const(_Y)),
    "Z": (0, 1, _const(_Z)),
    "H": (0, 1, _const(_H)),
    "S": (0, 1, _const(_S)),
    "T": (0, 1, _const(_T)),
    "RX": (1, 1, _rx),
    "RY": (1, 1, _ry),
    "RZ": (1, 1, _rz),
    "PHASE": (1, 1, _phase),
    "U": (3, 1, _u),
    "CZ": (0, 2, _const(_CZ)),
    "CNOT": (0, 2, _const(_CNOT)),
    "SWAP": (0, 2, _const(_SWAP)),
    "ISWAP": (0, 2, _const(_ISWAP)),
    "CPHASE00": (1, 2, _cphase_at(0)),
    "CPHASE01": (1, 2, _cphase_at(1)),
    "CPHASE10": (1, 2, _cphase_at(2)),
    "CPHASE": (1, 2, _cphase_at(3)),
    "PSWAP": (1, 2, _pswap),
    "XY": (1, 2, _xy),
    "CCNOT": (0, 3, _const(_controlled(_CNOT))),
    "CSWAP": (0, 3, _const(_controlled(_SWAP))),
}

# No pulse on Rigetti hardware: RZ is a frame change (virtual, noiseless), I an idle.
VIRTUAL = frozenset({"RZ", "I"})


def apply_modifiers(modifiers: Sequence[str], base: Callable[[Sequence[float]], Matrix],
                    params: Sequence[float]) -> Matrix:
    """Build the matrix of ``MODS... base(params)``; ``modifiers`` outermost first, as written.

    FORKED takes twice the parameters: the first half when the fork qubit is 0, the rest when 1.
    """
    return _modified(list(modifiers), base, list(params))


def _modified(mods: list[str], base: Callable[[Sequence[float]], Matrix], params: list[float]) -> Matrix:
    if not mods:
        return base(params)
    head, rest = mods[0], mods[1:]
    if head == "DAGGER":
        dagger: Matrix = _modified(rest, base, params).conj().T
        return dagger
    if head == "CONTROLLED":
        return _controlled(_modified(rest, base, params))
    if head == "FORKED":
        half = len(params) // 2
        a = _modified(rest, base, params[:half])
        b = _modified(rest, base, params[half:])
        n = a.shape[0]
        out = np.zeros((2 * n, 2 * n), dtype=complex)
        out[:n, :n], out[n:, n:] = a, b
        return out
    raise ValueError(f"unknown gate modifier {head}")


def modified_shape(modifiers: Sequence[str], params: int, qubits: int) -> tuple[int, int]:
    """(parameters, qubits) a gate takes once its modifiers apply, from the inside out."""
    for mod in reversed(list(modifiers)):
        if mod in ("CONTROLLED", "FORKED"):
            qubits += 1
        if mod == "FORKED":
            params *= 2
    return params, qubits


def is_unitary(m: Matrix, atol: float = 1e-8) -> bool:
    return m.ndim == 2 and m.shape[0] == m.shape[1] and np.allclose(m @ m.conj().T, np.eye(m.shape[0]), atol=atol)
