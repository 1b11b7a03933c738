"""A processor's calibration turned into noise channels, each figure reproduced by the
experiment that defines it. Engine-neutral: engines turn the channels into their own objects.

- Time is real. Every qubit has a timeline (``timeline.py``): an RX pulse takes PULSE_TIME, a
  2-qubit gate GATE_TIME_2Q, MEASURE MEASURE_TIME, RESET RESET_TIME, I one pulse time, DELAY
  its duration, RZ none (a frame change). A 2-qubit gate starts when both qubits are free and
  FENCE aligns its qubits, so a qubit waiting for another idles. T1/T2 relaxation (amplitude
  then phase damping, T2 = the published T2*, at most 2·T1) acts over every interval a qubit
  idles, delays or runs I, so DELAY experiments decay at the published T1 and T2*.
- A 1-qubit pulse follows isolated RB (``randomized_benchmark_1q``): fRB is per Clifford, and
  a Clifford is written with PULSES_PER_CLIFFORD RX pulses on average (none for the four
  Z rotations, one for the other twenty), so a pulse's average infidelity is
  (1 - fRB) / PULSES_PER_CLIFFORD. When a neighbour on the architecture is driven at the same
  time (their pulses overlap on the timeline), the pulse follows the simultaneous figure
  instead: that difference is the crosstalk term, absent when the qubit runs alone.
- The budget of a gate is split: relaxation over the gate's duration first, then depolarizing
  that makes up the calibrated average fidelity. Where relaxation over the full duration would
  already exceed the figure (short T2 on some qubits), relaxation during that gate is charged
  for a shortened time that meets the figure exactly and no depolarizing is added: the RB
  figure is what the gate does. Idle time is always charged in full.
- 2-qubit gates follow fCZ / fXY / fCPHASE of their edge the same way (2-qubit average fidelity,
  relaxation of both qubits first). Those figures come from interleaved RB, where a gate's
  qubits wait for each other's last pulse; so a wait of up to SYNC_SLACK before a 2-qubit gate
  is taken as part of its figure, and only a longer wait relaxes the qubit as idle time.
- MEASURE projects with no relaxation during the readout (fRO includes it) and flips the
  recorded bit with a probability p chosen so that QCS's own experiment - read |0>, and read
  after RX(pi) - gives 1 - (P(1|0) + P(0|RX(pi))) / 2 = fRO: the pulse's error is not counted
  twice.
- RESET is active reset: a qubit found in |0> stays there; one found in |1> is returned to |0>
  with probability fAR (the published figure, read as its success from |1>).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from openqcs.simulator.device import Device
from openqcs.simulator.gates import Matrix

if TYPE_CHECKING:
    from openqcs.simulator.ir import Op, ParsedProgram

PULSE_TIME = 40e-9
GATE_TIME_2Q = 200e-9
GATE_TIMES_2Q = {"CZ": 200e-9, "CPHASE": 200e-9, "XY": 180e-9, "ISWAP": 180e-9}
MEASURE_TIME = 2e-6
RESET_TIME = 2e-6
PULSES_PER_CLIFFORD = 20 / 24
SYNC_SLACK = 2 * PULSE_TIME  # a 2q gate's wait for its partner that its figure already holds
NATIVE_COUNT = {"SWAP": 3, "PSWAP": 3}


def depolarizing_param(fidelity: float, n_qubits: int) -> float:
    """λ of ρ -> (1-λ)ρ + λ I/d whose average gate fidelity is ``fidelity``."""
    d: int = 2**n_qubits
    lam = (1 - fidelity) * d / (d - 1)
    return min(max(lam, 0.0), 1.0)


def thermal_entanglement_fidelity(t1: float, t2: float, t: float) -> float:
    e1, e2 = math.exp(-t / t1), math.exp(-t / t2)
    return 1 - (1 - e1) / 4 - (1 - e2) / 2


def thermal_infidelity(t1: float, t2: float, t: float) -> float:
    """Average gate infidelity of relaxation (T1) and dephasing (T2) for a duration t."""
    return 2 * (1 - thermal_entanglement_fidelity(t1, t2, t)) / 3


def pauli_twirl(ch: Thermal) -> tuple[float, float]:
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
    ops: tuple[Matrix, ...]
    key: bytes  # identifies the operators for engines' caches


Channel = Depolarizing | Thermal | Pauli | Kraus
Channels = tuple[Channel, ...]
Around = tuple[Channels, Channels]  # (channels before an instruction, channels after it)
_NOTHING: Around = ((), ())


class Noise(Protocol):
    """What engines ask of a noise model: a processor's calibration (``NoiseSpec``) or the noise
    a program states (``program_noise.ProgramNoise``), both on dense qubits."""

    reset_fail: list[float]  # P(a qubit found in |1> stays there)

    @property
    def has_kraus(self) -> bool: ...

    def around(self, op: Op) -> Around: ...

    def gate_kraus(self, name: str, qubits: tuple[int, ...]) -> Kraus | None: ...

    def readout_error(self, qubit: int) -> tuple[float, float]: ...


@dataclass
class NoiseSpec:
    """Channels for a program whose dense qubit i is physical qubit ``physical[i]``."""

    device: Device
    physical: list[int]
    readout_flip: list[float] = field(default_factory=list)
    reset_fail: list[float] = field(default_factory=list)  # P(a qubit found in |1> stays there)
    plan: dict[int, Around] = field(default_factory=dict)  # id(op) -> channels, from timeline.py
    _cache: dict[tuple[str, int, bool] | tuple[str, str, tuple[int, ...]], Channels] = field(
        default_factory=dict, repr=False)

    @property
    def has_kraus(self) -> bool:
        return False

    def around(self, op: Op) -> Around:
        return self.plan.get(id(op), _NOTHING)

    def gate_kraus(self, name: str, qubits: tuple[int, ...]) -> Kraus | None:
        """A Kraus map that replaces the gate itself (the QVM's ADD-KRAUS); calibrations have none."""
        return None

    def readout_error(self, qubit: int) -> tuple[float, float]:
        """(P(read 1 | 0), P(read 0 | 1)) for the recorded bit."""
        p = self.readout_flip[qubit]
        return p, p

    def idle(self, q: int, time: float) -> Channels:
        """Relaxation of dense qubit ``q`` over ``time`` seconds."""
        thermal = self.thermal(q, round(time, 12))
        return () if thermal is None or thermal.time <= 0 else (thermal,)

    def pulse(self, q: int, crowded: bool = False) -> Channels:
        """Channels after an RX pulse on dense qubit ``q``; ``crowded``: a neighbour is driven meanwhile."""
        key = ("pulse", q, crowded)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._budget((q,), self.pulse_infidelity(q, crowded), PULSE_TIME)
        return found

    def pulse_infidelity(self, q: int, crowded: bool) -> float:
        """Average infidelity of one pulse such that Clifford RB decays at the qubit's fRB
        (``rb_model`` computes that decay exactly; for these channels it is this ratio)."""
        p = self.physical[q]
        f = self.device.f_rb.get(p, 1.0)
        if crowded:
            f = min(f, self.device.f_rb_sim.get(p, f))
        return min(max(1 - f, 0.0) / PULSES_PER_CLIFFORD, 0.5)

    def two_qubit(self, name: str, qubits: tuple[int, ...]) -> Channels:
        key = ("2q", name, qubits)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = tuple(self._two_qubit(name, qubits))
        return found

    def _two_qubit(self, name: str, qubits: tuple[int, ...]) -> Iterator[Channel]:
        if len(qubits) > 2:
            # Wider gates (CCNOT, ...) compile to several 2-qubit gates: charge each neighbouring pair.
            for a, b in itertools.pairwise(qubits):
                yield from self.two_qubit("CZ", (a, b))
            return
        a, b = (self.physical[q] for q in qubits)
        fidelity = self.device.edge_fidelity(name, a, b)
        if fidelity is None:
            return
        count = NATIVE_COUNT.get(name, 1)  # a SWAP takes three native 2-qubit gates
        infidelity = (1 - (1 - depolarizing_param(fidelity, 2)) ** count) * 3 / 4
        yield from self._budget(qubits, infidelity, GATE_TIMES_2Q.get(name, GATE_TIME_2Q) * count)

    def thermal(self, q: int, time: float) -> Thermal | None:
        p = self.physical[q]
        t1 = self.device.t1.get(p)
        if not t1 or t1 <= 0:
            return None
        t2 = self.device.t2.get(p) or t1
        return Thermal(q, t1, min(t2, 2 * t1), time)

    def _budget(self, qubits: tuple[int, ...], infidelity: float, time: float) -> Channels:
        """Relaxation over ``time``, then depolarizing, together of average infidelity ``infidelity``."""
        d = 2 ** len(qubits)
        fe_target = 1 - infidelity * (d + 1) / d
        thermals = [t for t in (self.thermal(q, time) for q in qubits) if t is not None]

        def fe(scale: float) -> float:
            return math.prod(thermal_entanglement_fidelity(t.t1, t.t2, t.time * scale) for t in thermals)

        if thermals and fe(1.0) < fe_target:
            lo, hi = 0.0, 1.0  # relaxation alone exceeds the figure: charge it for a shorter time
            for _ in range(60):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if fe(mid) > fe_target else (lo, mid)
            return tuple(Thermal(t.qubit, t.t1, t.t2, t.time * lo) for t in thermals)
        fe_thermal = fe(1.0)
        lam = min(max((fe_thermal - fe_target) / (fe_thermal - 1 / d**2), 0.0), 1.0)
        return tuple(thermals) + ((Depolarizing(qubits, lam),) if lam > 0 else ())

    def pi_pulse_error(self, q: int) -> float:
        """P(|0>) after an isolated RX(pi) from |0>, with this model's pulse channels."""
        p0 = 0.0
        for ch in self.pulse(q):
            if isinstance(ch, Thermal):
                p0 += (1 - p0) * (1 - math.exp(-ch.time / ch.t1))
            elif isinstance(ch, Depolarizing):
                p0 = (1 - ch.param) * p0 + ch.param / 2
        return p0


def noise_for(device: Device, program: ParsedProgram | list[int]) -> NoiseSpec:
    """The calibration's noise for ``program`` (a ParsedProgram; or a list of physical qubits,
    which gives readout and reset only, with no timeline)."""
    from openqcs.simulator.timeline import plan

    physical = list(program) if isinstance(program, list) else list(program.qubits)
    spec = NoiseSpec(device, physical)
    for q, p in enumerate(physical):
        # QCS's readout experiment: (P(1|0) + P(0|RX(pi))) / 2 = 1 - fRO, where the second term is
        # flip (1 - e) + (1 - flip) e with e the pulse's own error: solved for the flip.
        target = min(max(1 - device.f_ro.get(p, 1.0), 0.0), 0.5)
        e = spec.pi_pulse_error(q) if target > 0 else 0.0
        spec.readout_flip.append(min(max((2 * target - e) / (2 - 2 * e), 0.0), 0.5))
        spec.reset_fail.append(min(max(1 - device.f_ar.get(p, 1.0), 0.0), 1.0))
    if not isinstance(program, list):
        spec.plan = plan(program, spec)
    return spec
