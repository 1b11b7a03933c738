"""The engine interface: run a parsed program with resolved memory for some shots.

Engines are named (``get_engine``) and imported lazily, once per process, so a worker pays an
engine's import only when it first needs it. ``choose_engine`` picks one per job from what each
declares it can do (``Capabilities``); a GPU engine (qiskit-aer-gpu) would be one more entry in
``PREFERENCE`` with its own capabilities.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from typing import Protocol, cast

import numpy as np
from numpy.typing import NDArray

from openqcs.simulator.ir import Memory, ParsedProgram
from openqcs.simulator.noise import Noise

Readout = dict[str, NDArray[np.int64]]


@dataclass
class EngineResult:
    readout: Readout  # register -> int64 array (shots, length)
    memory: Memory  # memory after the last shot


@dataclass(frozen=True)
class Capabilities:
    control_flow: bool = False  # JUMPs and classical instructions
    kraus: bool = False  # arbitrary Kraus maps (the QVM's ADD-KRAUS)
    exact_noise: bool = False  # density matrix: every noisy shot from one exact state
    min_qubits: int = 0  # worth choosing from this width on (set-up cost below it)
    clifford_only: bool = False  # takes only programs its ``accepts(program, memory, noise)`` allows


class Engine(Protocol):
    name: str
    capabilities: Capabilities

    def run(self, program: ParsedProgram, memory: Memory, shots: int, noise: Noise | None,
            seed: int | None) -> EngineResult: ...


class CliffordEngine(Engine, Protocol):
    def accepts(self, program: ParsedProgram, memory: Memory, noise: Noise | None) -> bool: ...


_ENGINES: dict[str, Engine] = {}
# name -> (module, class, the package it needs); modules import their heavy packages lazily.
_KNOWN = {
    "aer": ("openqcs.simulator.engines.aer", "AerEngine", "qiskit_aer"),
    "reference": ("openqcs.simulator.engines.reference", "ReferenceEngine", "numpy"),
    "qsim": ("openqcs.simulator.engines.qsim", "QsimEngine", "qsimcirq"),
    "stim": ("openqcs.simulator.engines.clifford", "StimEngine", "stim"),
}


def _engine_class(name: str) -> type[Engine]:
    if name not in _KNOWN:
        raise ValueError(f"unknown simulation engine {name!r}")
    module, cls, _ = _KNOWN[name]
    return cast("type[Engine]", getattr(importlib.import_module(module), cls))


def get_engine(name: str = "aer") -> Engine:
    engine = _ENGINES.get(name)
    if engine is None:
        engine = _ENGINES[name] = _engine_class(name)()
    return engine


# Engines in order of preference for the jobs they suit; "aer" takes everything (it hands
# classical control to the reference interpreter itself).
PREFERENCE = ("stim", "qsim", "aer")
EXACT_NOISE_MAX_QUBITS = 8  # density matrices (4^n): noisy depth-20 at 10 qubits took 9 s in aer here
REFERENCE_MAX_QUBITS = 12  # noiseless sampling from one state: numpy's set-up is cheapest


def choose_engine(program: ParsedProgram, noise: Noise | None, memory: Memory | None = None) -> str:
    """The engine for a job, from its needs and the engines' declared capabilities (``memory``
    resolves parametric gates for engines that take Clifford gates only)."""
    n = len(program.qubits)
    if noise is None and program.sampleable and n <= REFERENCE_MAX_QUBITS:
        return "reference"
    needs_kraus = noise is not None and noise.has_kraus
    for name in PREFERENCE:
        caps = _capabilities(name)
        if caps is None or n < caps.min_qubits:
            continue
        if (program.has_control or not program.sampleable) and not caps.control_flow:
            continue
        if needs_kraus and not caps.kraus:
            continue
        if noise is not None and n <= EXACT_NOISE_MAX_QUBITS and not caps.exact_noise:
            continue
        if caps.clifford_only and not cast(CliffordEngine, get_engine(name)).accepts(program, memory or {}, noise):
            continue
        return name
    return "aer"


@cache
def _capabilities(name: str) -> Capabilities | None:
    if importlib.util.find_spec(_KNOWN[name][2]) is None:
        return None  # an optional engine that is not installed
    return _engine_class(name).capabilities


def empty_readout(program: ParsedProgram, shots: int) -> Readout:
    return {name: np.zeros((shots, length), dtype=np.int64) for name, length in program.readout.items()}
