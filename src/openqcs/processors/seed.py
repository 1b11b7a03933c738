"""Demo processors: three published Aspen ISAs and two small synthesized Ankaa-class lattices.

| id                 | ISA                                  | visibility | noise     |
|--------------------|--------------------------------------|------------|-----------|
| Aspen-M-3          | published calibration, 80 qubits     | public     | noisy     |
| Aspen-9, Aspen-8   | published calibrations, 32 qubits    | public     | noisy     |
| Ankaa-9Q-sim       | synthesized 3x3 square lattice       | public     | noisy     |
| Ankaa-9Q-noiseless | same ISA as Ankaa-9Q-sim             | public     | noiseless |
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from openqcs.context import AppContext
from openqcs.processors import service
from openqcs.processors.isa import parse_document
from openqcs.processors.models import Processor
from openqcs.processors.synth import synthesize

PUBLISHED = ("Aspen-M-3", "Aspen-9", "Aspen-8")
ANKAA_SIM = "Ankaa-9Q-sim"
ANKAA_NOISELESS = "Ankaa-9Q-noiseless"
DEMO_IDS = (*PUBLISHED, ANKAA_SIM, ANKAA_NOISELESS)


def published_isa(name: str) -> dict[str, Any]:
    """A published ISA shipped in ``processors/data`` (a JSON object)."""
    doc: dict[str, Any] = parse_document(resources.files("openqcs.processors").joinpath("data", f"{name}.json")
                                         .read_bytes())
    return doc


def seed_demo(ctx: AppContext) -> None:
    """Import each demo processor that does not exist yet (running it twice changes nothing)."""
    now = ctx.clock.now()
    with ctx.db.session(write=True) as session:
        present = {pid for pid in DEMO_IDS if session.get(Processor, pid) is not None}
        for name in PUBLISHED:
            if name not in present:
                service.import_isa(session, published_isa(name), now=now, public=True, noiseless=False)
        ankaa = synthesize(ANKAA_SIM, rows=3, cols=3, seed=9, now=now)
        if ANKAA_SIM not in present:
            service.import_isa(session, ankaa, now=now, public=True, noiseless=False)
        if ANKAA_NOISELESS not in present:
            service.import_isa(session, ankaa, now=now, processor_id=ANKAA_NOISELESS, public=True, noiseless=True)
