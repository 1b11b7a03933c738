"""The per-pulse error that makes 1-qubit Clifford RB decay as the calibration says.

Cliffords differ in cost (four are virtual Z rotations, twenty take one RX pulse), so the
noise is gate-dependent and RB's decay is not simply the average gate error. It is the leading
eigenvalue of (1/24) Σ_g R(g) ⊗ Λ(g) over the Clifford group, R the ideal Pauli transfer matrix
(its 3x3 non-trivial block) and Λ the noisy one (Wallman, Quantum 2, 47 (2018)). The model's
pulse error is solved for so that this decay equals 1 - 2 (1 - fRB).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np

_P = [np.eye(2, dtype=complex), np.array([[0, 1], [1, 0]], dtype=complex),
      np.array([[0, -1j], [1j, 0]], dtype=complex), np.diag([1, -1]).astype(complex)]


def ptm(kraus: list[np.ndarray]) -> np.ndarray:
    """Pauli transfer matrix R_ij = Tr(P_i Λ(P_j)) / 2."""
    out = np.zeros((4, 4))
    for j, pj in enumerate(_P):
        image = sum(k @ pj @ k.conj().T for k in kraus)
        for i, pi in enumerate(_P):
            out[i, j] = np.trace(pi @ image).real / 2
    return out


def thermal_ptm(t1: float, t2: float, time: float) -> np.ndarray:
    """Amplitude damping (T1) and dephasing to T2 over ``time``, as a PTM."""
    if time <= 0:
        return np.eye(4)
    gamma = 1 - math.exp(-time / t1)
    coherence = math.exp(-time / t2)
    return np.array([[1, 0, 0, 0], [0, coherence, 0, 0], [0, 0, coherence, 0], [gamma, 0, 0, 1 - gamma]])


def depolarizing_ptm(lam: float) -> np.ndarray:
    return np.diag([1.0, 1 - lam, 1 - lam, 1 - lam])


@lru_cache(maxsize=1)
def _cliffords() -> list[tuple[np.ndarray, bool]]:
    from openqcs.simulator.characterize import CLIFFORDS

    return [(ptm([u]), any(name == "RX" for name, _ in ops)) for ops, u in CLIFFORDS]


def rb_decay(noise: np.ndarray) -> float:
    """RB decay when each pulsed Clifford is followed by the channel ``noise`` (a PTM)."""
    total = np.zeros((12, 12))
    for ideal, pulsed in _cliffords():
        noisy = noise @ ideal if pulsed else ideal
        total += np.kron(ideal[1:, 1:], noisy)
    values = np.linalg.eigvals(total / 24)
    return float(np.max(values.real))


def solve(channel_for: Callable[[float], np.ndarray], target_decay: float, high: float = 0.75) -> float:
    """The infidelity r in [0, high] whose channel ``channel_for(r)`` (a PTM) decays at ``target_decay``."""
    lo, hi = 0.0, high
    if rb_decay(channel_for(hi)) > target_decay:
        return hi
    for _ in range(50):
        mid = (lo + hi) / 2
        if rb_decay(channel_for(mid)) > target_decay:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
