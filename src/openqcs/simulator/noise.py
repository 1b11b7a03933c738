"""A processor's calibration turned into noise channels on a program's (dense) qubits.

Engine-neutral: each engine turns these channels into its own objects. Conventions:
- a 1-qubit gate other than RZ/I (virtual frame changes, noiseless) gets thermal relaxation for
  one gate time from T1/T2, then depolarizing sized so that the gate's average fidelity
  equals the qubit's fRB;
- a 2-qubit gate gets 2-qubit depolarizing whose average fidelity equals the edge's figure for
  that gate (fCZ, fXY, fISWAP, fCPHASE);
- MEASURE flips the recorded bit with probability 1 - fRO (applied to the classical record);
- RESET leaves the qubit in |1> with probability 1 - fAR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from openqcs.simulator.device import Device

GATE_TIME_1Q = 50e-9
GATE_TIME_2Q = 200e-9
MEASURE_TIME = 2e-6
RESET_TIME = 1e-6
NATIVE_COUNT = {"SWAP": 3, "PSWAP": 3}


def depolarizing_param(fidelity: float, n_qubits: int) -> float:
    """λ of ρ -> (1-λ)ρ + λ I/d whose average gate fidelity is ``fidelity``."""
    d = 2**n_qubits
    lam = (1 - fidelity) * d / (d - 1)
    return min(max(lam, 0.0), 1.0)


def thermal_infidelity(t1: float, t2: float, t: float) -> float:
    """Average gate infidelity of relaxation (T1) and dephasing (T2) for a duration t."""
    e1, e2 = math.exp(-t / t1), math.exp(-t / t2)
    f_ent = 1 - (1 - e1) / 4 - (1 - e2) / 2
    return 2 * (1 - f_ent) / 3


def pauli_twirl(ch: "Thermal") -> tuple[float, float]:
    """(p_x = p_y, p_z) of relaxation's Pauli twirl (same average fidelity)."""
    e1, e2 = math.exp(-ch.time / ch.t1), math.exp(-ch.time / ch.t2)
    px = (1 - e1) / 4
    return px, max((1 - e2) / 2 - px, 0.0)


def thermal_kraus_params(t1: float, t2: float, t: float) -> tuple[float, float]:
    """(γ amplitude damping, λ extra phase damping) for the duration ``t``."""
    gamma = 1 - math.exp(-t / t1)
    lam = 1 - math.exp(-2 * t / t2 + t / t1)
    return gamma, min(max(lam, 0.0), 1.0)


@dataclass(frozen=True)
class Depolarizing:
    qubits: tuple[int, ...]
    param: float


@dataclass(frozen=True)
class Thermal:
    qubit: int
    t1: float
    t2: float
    time: float


@dataclass(frozen=True)
class Pauli:
    """rho -> (1-px-py-pz) rho + px X rho X + py Y rho Y + pz Z rho Z on one qubit."""

    qubit: int
    px: float
    py: float
    pz: float


@dataclass(frozen=True, eq=False)
class Kraus:
    """rho -> sum_j K_j rho K_j^dagger; matrices in Quil order (first qubit most significant)."""

    qubits: tuple[int, ...]
    ops: tuple[np.ndarray, ...]
    key: bytes  # identifies the operators for engines' caches


@dataclass
class NoiseSpec:
    """Channels for a program whose dense qubit i is physical qubit ``physical[i]``."""

    device: Device
    physical: list[int]
    readout_flip: list[float] = field(default_factory=list)
    reset_fail: list[float] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    def gate_channels(self, name: str, qubits: tuple[int, ...], virtual: bool) -> tuple:
        key = (name, qubits, virtual)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = tuple(self._channels(name, qubits, virtual))
        return found

    def gate_kraus(self, name: str, qubits: tuple[int, ...]) -> Kraus | None:
        """A Kraus map that replaces the gate itself (the QVM's ADD-KRAUS); calibrations have none."""
        return None

    def measure_channels(self, qubit: int) -> tuple:
        """Channels applied just before a MEASURE of ``qubit``."""
        return ()

    def reset_channels(self, text: str) -> tuple:
        """Channels applied after a RESET instruction (``text``); calibration noise uses reset_fail."""
        return ()

    def readout_error(self, qubit: int) -> tuple[float, float]:
        """(P(read 1 | 0), P(read 0 | 1)) for the recorded bit."""
        p = self.readout_flip[qubit]
        return p, p

    def _channels(self, name: str, qubits: tuple[int, ...], virtual: bool):
        if virtual:
            return
        dev = self.device
        if len(qubits) == 1:
            (q,) = qubits
            p = self.physical[q]
            target = dev.f_rb.get(p, 1.0)
            thermal = self._thermal(q, GATE_TIME_1Q)
            if thermal is not None:
                yield thermal
                # Depolarizing after relaxation: F_e = (1-λ) F_e(thermal) + λ/4, solved for λ.
                fe_target = (3 * target - 1) / 2
                fe_thermal = (3 * (1 - thermal_infidelity(thermal.t1, thermal.t2, thermal.time)) - 1) / 2
                lam = min(max((fe_thermal - fe_target) / (fe_thermal - 0.25), 0.0), 1.0)
            else:
                lam = depolarizing_param(target, 1)
            if lam > 0:
                yield Depolarizing(qubits, lam)
            return
        if len(qubits) == 2:
            a, b = (self.physical[q] for q in qubits)
            fidelity = dev.edge_fidelity(name, a, b)
            if fidelity is not None:
                # A SWAP takes three native 2-qubit gates: compose the channel that many times.
                lam = 1 - (1 - depolarizing_param(fidelity, 2)) ** NATIVE_COUNT.get(name, 1)
                if lam > 0:
                    yield Depolarizing(qubits, lam)
            return
        # Wider gates (CCNOT, ...) compile to several 2-qubit gates: charge each neighbouring pair.
        for a, b in zip(qubits, qubits[1:]):
            yield from self._channels("CZ", (a, b), False)

    def _thermal(self, q: int, time: float) -> Thermal | None:
        p = self.physical[q]
        t1 = self.device.t1.get(p)
        if not t1 or t1 <= 0:
            return None
        t2 = self.device.t2.get(p) or t1
        # T2 is capped at T1 (not the physical 2*T1): with T2 > T1 qiskit-aer needs a Kraus
        # form, and aer 0.18 then fails some noisy runs ("QuantumError: Kraus is empty"). The
        # depolarizing part still makes up the gate's fRB, so only the channel's shape differs.
        return Thermal(q, t1, min(t2, t1), time)


def noise_for(device: Device, physical: list[int]) -> NoiseSpec:
    flips = [min(max(1 - device.f_ro.get(p, 1.0), 0.0), 0.5) for p in physical]
    fails = [min(max(1 - device.f_ar.get(p, 1.0), 0.0), 0.5) for p in physical]
    return NoiseSpec(device, list(physical), flips, fails)
