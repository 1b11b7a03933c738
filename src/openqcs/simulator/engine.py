"""The engine interface: run a parsed program with resolved memory for some shots.

Engines are chosen by name (``get_engine``) and imported lazily, once per process, so a worker
pays qiskit-aer's import only when it first simulates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from openqcs.simulator.noise import NoiseSpec
from openqcs.simulator.program import Memory, ParsedProgram


@dataclass
class EngineResult:
    readout: dict[str, np.ndarray]  # register -> int64 array (shots, length)
    memory: Memory  # memory after the last shot


class Engine(Protocol):
    name: str

    def run(self, program: ParsedProgram, memory: Memory, shots: int, noise: NoiseSpec | None,
            seed: int | None) -> EngineResult: ...


_ENGINES: dict[str, Engine] = {}


def get_engine(name: str = "aer") -> Engine:
    engine = _ENGINES.get(name)
    if engine is None:
        if name == "aer":
            from openqcs.simulator.engines.aer import AerEngine

            engine = AerEngine()
        elif name == "reference":
            from openqcs.simulator.engines.reference import ReferenceEngine

            engine = ReferenceEngine()
        else:
            raise ValueError(f"unknown simulation engine {name!r}")
        _ENGINES[name] = engine
    return engine


def empty_readout(program: ParsedProgram, shots: int) -> dict[str, np.ndarray]:
    return {name: np.zeros((shots, length), dtype=np.int64) for name, length in program.readout.items()}
