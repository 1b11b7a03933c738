"""Rigetti's SDK retries a throttled server: 429 with Retry-After is waited out, not reported.

qcs-sdk-python's REST GETs retry 429/502/503 honouring Retry-After (client-compat §3.2). With one
request per second allowed, back-to-back calls must all come back right, just slower.
"""

from __future__ import annotations

import time

import pytest

from openqcs.processors.seed import seed_demo
from tests.conformance.servers import dedicated_server, metric_total
from tests.support.clients import run_client, write_qcs_config
from tests.support.factories import make_user

pytestmark = pytest.mark.clients

CALLS = 4

SDK_SCRIPT = """
import json, time
from qcs_sdk.client import QCSClient
from qcs_sdk.qpu import list_quantum_processors
from qcs_sdk.qpu.isa import get_instruction_set_architecture

client = QCSClient.load()
out = {"lists": [], "isas": [], "errors": []}
started = time.monotonic()
for _ in range(CALLS):
    try:
        out["isas"].append([get_instruction_set_architecture("Aspen-M-3", client=client).name,
                            len(get_instruction_set_architecture("Ankaa-9Q-sim", client=client).architecture.nodes)])
        out["lists"].append(sorted(list_quantum_processors(client=client, timeout=60)))
    except Exception as exc:
        out["errors"].append(f"{type(exc).__name__}: {exc}")
out["seconds"] = time.monotonic() - started
print(json.dumps(out))
"""


def test_qcs_sdk_rides_out_429_with_retry_after(tmp_path):
    env = {"OPENQCS_RATE_LIMIT_PER_SECOND": "1", "OPENQCS_RATE_LIMIT_BURST": "1", "OPENQCS_API_ONLY": "true"}
    with dedicated_server("sqlite", str(tmp_path), **env) as srv:
        seed_demo(srv.ctx)
        user = make_user(srv.ctx)
        before = metric_total(srv.base_url, "openqcs_http_requests_total", status="429")
        config = write_qcs_config(tmp_path / "qcs", api_url=srv.base_url, grpc_url=srv.settings.grpc_url,
                                  issuer=srv.settings.issuer, access_token=user.token)
        started = time.monotonic()
        out = run_client("sdk", SDK_SCRIPT.replace("CALLS", str(CALLS)), config, timeout=180)
        elapsed = time.monotonic() - started
        throttled = metric_total(srv.base_url, "openqcs_http_requests_total", status="429") - before
        served = metric_total(srv.base_url, "openqcs_http_requests_total", status="200")

    assert out["errors"] == []
    assert out["isas"] == [["Aspen-M-3", 9]] * CALLS
    demo = ["Ankaa-9Q-noiseless", "Ankaa-9Q-sim", "Aspen-8", "Aspen-9", "Aspen-M-3"]
    assert out["lists"] == [demo] * CALLS
    # The server really refused some of those calls, and the SDK came back for each of them.
    assert throttled >= CALLS, f"only {throttled} responses were 429"
    assert throttled <= 2 * 3 * CALLS, f"{throttled} responses were 429: the SDK did not wait as told"
    assert served >= 3 * CALLS
    # Three calls per round at one per second cannot be faster than the limit allows.
    assert out["seconds"] >= 3 * CALLS - 2, out["seconds"]
    assert elapsed < 170
