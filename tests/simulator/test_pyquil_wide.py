"""Through pyquil 4.22, unmodified: a 26-qubit, depth-20, 1000-shot program on Aspen-M-3 comes
back within the client's own execution timeout, and translation refuses a gate the ISA does not
list, saying where and how to compile."""

from __future__ import annotations

import pytest

from tests.support.clients import run_client, write_qcs_config
from tests.support.factories import funded_user, make_reference_processor
from tests.support.programs import wide_program

pytestmark = pytest.mark.clients

SCRIPT = """
import json
from pyquil import get_qc, Program

qc = get_qc("{processor}", execution_timeout=30.0)
out = {{}}
wide = Program({wide!r}).wrap_in_numshots_loop(1000)
bits = qc.run(qc.compile(wide, to_native_gates=False, optimize=False)).get_register_map()["ro"]
out["wide"] = [list(bits.shape), float(bits.mean())]
try:
    qc.compile(Program("DECLARE ro BIT[1]", "H 0", "MEASURE 0 ro[0]"), to_native_gates=False, optimize=False)
    out["h"] = "accepted"
except Exception as exc:
    out["h"] = str(exc)
print(json.dumps(out))
"""


def test_a_26_qubit_depth_20_program_runs_within_the_client_timeout(server, tmp_path):
    processor = make_reference_processor(server.ctx, noiseless=True, processor_id="Exec-Ideal")
    user = funded_user(server.ctx)
    env = write_qcs_config(tmp_path, api_url=server.base_url, grpc_url=server.settings.grpc_url,
                           issuer=server.settings.issuer, access_token=user.token)
    out = run_client("pyquil", SCRIPT.format(processor=processor, wide=wide_program(26, 20)), env, timeout=300)
    shape, mean = out["wide"]
    assert shape == [1000, 26]
    assert 0.3 < mean < 0.7  # random-looking bits, not all zeros
    assert "InvalidArgument" in out["h"] and "line 2: `H 0`: H is not a native gate of qubit 0" in out["h"]
    assert "qc.compile(program)" in out["h"]
