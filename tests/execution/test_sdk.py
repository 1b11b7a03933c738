"""qcs-sdk-python 0.31: translate → submit → retrieve, over each connection strategy."""

from __future__ import annotations

import pytest

from tests.support.clients import run_client, write_qcs_config
from tests.support.programs import BELL

pytestmark = pytest.mark.clients

SCRIPT = """
import json
from qcs_sdk.qpu.api import (ConnectionStrategy, ExecutionOptionsBuilder, QpuApiError, retrieve_results, submit)
from qcs_sdk.qpu.translation import TranslationError, get_quilt_calibrations, translate

processor, endpoint = {processor!r}, {endpoint!r}
translated = translate({program!r}, 40, processor)
out = {{"ro_sources": dict(translated.ro_sources)}}

def options(strategy):
    builder = ExecutionOptionsBuilder.default()
    builder.connection_strategy = strategy
    builder.timeout_seconds = 30.0
    return builder.build()

strategies = {{"gateway": ConnectionStrategy.Gateway(), "direct": ConnectionStrategy.DirectAccess(),
              "endpoint": ConnectionStrategy.EndpointId(endpoint)}}
for name, strategy in strategies.items():
    opts = options(strategy)
    target = None if name == "endpoint" else processor
    job_id = submit(translated.program, {{}}, target, execution_options=opts)
    results = retrieve_results(job_id, target, execution_options=opts)
    out[name] = {{key: list(value.data) for key, value in results.buffers.items()}}
    out[name + "_duration"] = results.execution_duration_microseconds

try:
    translate("DECLARE ro BIT[1]\\nCZ 0 2\\n", 1, processor)
except TranslationError as exc:
    out["bad"] = str(exc)
try:
    translate({program!r}, 1, "No-Such-QPU")
except TranslationError as exc:
    out["unknown"] = str(exc)
out["calibrations"] = get_quilt_calibrations(processor).count("DEFCAL ")
print(json.dumps(out))
"""


def _shots(buffers: dict, ro_sources: dict) -> list[tuple[int, int]]:
    first, second = buffers[ro_sources["ro[0]"]], buffers[ro_sources["ro[1]"]]
    return list(zip(first, second, strict=True))


def test_translate_submit_retrieve_over_every_strategy(server, user, ideal, tmp_path):
    from openqcs.endpoints.service import ensure_default_endpoint

    with server.ctx.db.session(write=True) as session:
        endpoint = ensure_default_endpoint(session, ideal, now=server.ctx.clock.now())
    env = write_qcs_config(tmp_path, api_url=server.base_url, grpc_url=server.settings.grpc_url,
                           issuer=server.settings.issuer, access_token=user.token)
    out = run_client("sdk", SCRIPT.format(processor=ideal, endpoint=endpoint, program=BELL), env, timeout=180)
    assert set(out["ro_sources"]) == {"ro[0]", "ro[1]"}
    for name in ("gateway", "direct", "endpoint"):
        shots = _shots(out[name], out["ro_sources"])
        assert len(shots) == 40 and all(a == b for a, b in shots), name
        assert out[name + "_duration"] > 0
    assert "invalid argument" in out["bad"] and "line 2: `CZ 0 2`: qubits 0 and 2" in out["bad"]
    assert "not found" in out["unknown"].lower() and "No-Such-QPU" in out["unknown"]
    assert out["calibrations"] > 100
