"""Data the simulator tests share (test modules import it from here, not from each other)."""

from __future__ import annotations

from openqcs.processors.seed import published_isa

ISA = published_isa("Aspen-M-3")  # the published calibration: 80 qubits, some dead, per-site natives
