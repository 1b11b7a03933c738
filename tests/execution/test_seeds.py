"""OPENQCS_SIMULATION_SEED: the same program on a fresh server seeded alike gives the same bits
(through pyquil); without a seed, runs stay random."""

from __future__ import annotations

import contextlib

import pytest

from tests.support.clients import run_client, write_qcs_config
from tests.support.databases import database
from tests.support.factories import funded_user
from tests.support.factories import make_reference_processor as add_processor
from tests.support.server import live_server

pytestmark = pytest.mark.clients

SCRIPT = """
import json
from pyquil import get_qc, Program
qc = get_qc("Seed-QPU", execution_timeout=30.0)
coins = Program("DECLARE ro BIT[3]", "RX(pi/2) 0", "RX(pi/2) 1", "RX(pi/2) 2", "MEASURE 0 ro[0]",
                "MEASURE 1 ro[1]", "MEASURE 2 ro[2]").wrap_in_numshots_loop(64)
exe = qc.compile(coins, to_native_gates=False, optimize=False)
print(json.dumps([qc.run(exe).get_register_map()["ro"].tolist() for _ in range(2)]))
"""


def runs_on_fresh_server(tmp_path, name: str, **env: str) -> list:
    directory = tmp_path / name
    directory.mkdir()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(database("sqlite", str(directory)))
        server = stack.enter_context(live_server(url, str(directory), **env))
        add_processor(server.ctx, processor_id="Seed-QPU")
        user = funded_user(server.ctx)
        config = write_qcs_config(directory / "qcs", api_url=server.base_url, grpc_url=server.settings.grpc_url,
                                  issuer=server.settings.issuer, access_token=user.token)
        return run_client("pyquil", SCRIPT, config, timeout=180)


def test_a_seeded_server_repeats_its_bits_and_an_unseeded_one_does_not(tmp_path):
    first = runs_on_fresh_server(tmp_path, "seeded-1", OPENQCS_SIMULATION_SEED="openqcs-42")
    second = runs_on_fresh_server(tmp_path, "seeded-2", OPENQCS_SIMULATION_SEED="openqcs-42")
    assert first == second
    assert len({tuple(shot) for shot in first[0]}) > 1  # still coin flips, not a constant
    assert first[0] == first[1]  # the seed follows the job's content: a re-run repeats it too
    other_seed = runs_on_fresh_server(tmp_path, "seeded-other", OPENQCS_SIMULATION_SEED="openqcs-43")
    assert other_seed[0] != first[0]
    random = runs_on_fresh_server(tmp_path, "unseeded")
    assert random[0] != random[1]
