"""Rigetti's real clients, unmodified, against the processor operations.

pyquil's ``to_compiler_isa`` and qcs-sdk's ``TargetDevice.from_isa`` are the two ISA converters
(client-compat §3.4): every demo processor going through both is the proof our ISAs convert.
"""

from __future__ import annotations

import pytest

from tests.support.clients import run_client, write_qcs_config
from tests.support.factories import grant_processor, make_synth_processor, make_user

pytestmark = pytest.mark.clients

API_SCRIPT = """
import json
from qcs_api_client.client import build_sync_client
from qcs_api_client.api.quantum_processors import (
    get_instruction_set_architecture, get_quantum_processor, get_quantum_processor_accessors,
    list_instruction_set_architectures, list_quantum_processors)

def every_page(list_call, client, page_size):
    token = None
    while True:
        page = list_call.sync(client=client, page_size=page_size, **({"page_token": token} if token else {})).parsed
        yield page
        token = page.next_page_token or None
        if not token:
            return

out = {}
with build_sync_client() as client:
    out["ids"] = [p.id for page in every_page(list_quantum_processors, client, 2) for p in page.quantum_processors]
    out["got"] = get_quantum_processor.sync("Aspen-M-3", client=client).parsed.id
    accessor = get_quantum_processor_accessors.sync("Aspen-M-3", client=client).parsed.accessors[0]
    out["accessor"] = [accessor.access_type.value, accessor.live, accessor.url, accessor.rank]
    isa = get_instruction_set_architecture.sync("Aspen-M-3", client=client).parsed
    out["isa"] = [isa.name, isa.architecture.family.value, len(isa.architecture.nodes),
                  sorted({op.name for op in isa.instructions})]
    out["isa_names"] = [i.name for page in every_page(list_instruction_set_architectures, client, 5)
                        for i in page.instruction_set_architectures]
    # Not an exception: the generated function returns the parsed Error.
    hidden = get_quantum_processor.sync("SECRET", client=client)
    out["secret"] = [hidden.status_code, hidden.parsed.code]
print(json.dumps(out))
"""

SDK_SCRIPT = """
import json
from qcs_sdk.client import QCSClient
from qcs_sdk.qpu import list_quantum_processors
from qcs_sdk.qpu.isa import get_instruction_set_architecture
from qcs_sdk.compiler.quilc import TargetDevice

client = QCSClient.load()
out = {"ids": list_quantum_processors(client=client, timeout=30), "isas": {}}
for qpu in IDS:
    isa = get_instruction_set_architecture(qpu, client=client)
    TargetDevice.from_isa(isa)  # qcs-sdk's converter: raises if the ISA does not convert
    out["isas"][qpu] = [isa.name, len(isa.architecture.nodes), len(isa.architecture.edges)]
print(json.dumps(out))
"""

PYQUIL_SCRIPT = """
import json
from pyquil import get_qc

out = {}
for qpu in IDS:
    isa = get_qc(qpu).to_compiler_isa()
    live = lambda items: sum(1 for item in items.values() if not item.dead)
    out[qpu] = [live(isa.qubits), live(isa.edges)]
print(json.dumps(out))
"""


def config(server, tmp_path, token: str) -> dict[str, str]:
    return write_qcs_config(tmp_path / "qcs", api_url=server.base_url, grpc_url=server.settings.grpc_url,
                            issuer=server.settings.issuer, access_token=token)


def test_qcs_api_client_calls_every_processor_operation(server, demo, tmp_path):
    secret = make_synth_processor(server.ctx, prefix="Secret", public=False)
    for _ in range(3):
        make_synth_processor(server.ctx, prefix="ApiPage")
    user = make_user(server.ctx)
    out = run_client("api", API_SCRIPT.replace("SECRET", secret), config(server, tmp_path, user.token))
    assert set(demo) <= set(out["ids"]) and len(out["ids"]) == len(set(out["ids"])) >= 8
    assert secret not in out["ids"]
    assert out["got"] == "Aspen-M-3"
    assert out["accessor"] == ["gateway.v1", True, server.settings.controller_url, 1]
    assert out["isa"] == ["Aspen-M-3", "Aspen", 80, ["CPHASE", "CZ", "I", "ISWAP", "MEASURE", "RESET", "RX", "RZ",
                                                       "XY"]]
    # Other tests' processors may have no ISA yet; every ISA listed belongs to a listed processor.
    assert set(demo) <= set(out["isa_names"]) <= set(out["ids"])
    assert len(out["isa_names"]) == len(set(out["isa_names"]))
    assert out["secret"] == [404, "not_found"]


def test_qcs_sdk_lists_processors_and_converts_every_demo_isa(server, demo, tmp_path):
    secret = make_synth_processor(server.ctx, prefix="Secret", public=False)
    user = make_user(server.ctx)
    grant_processor(server.ctx, secret, "user", user.idp_id)
    ids = [*demo, secret]
    out = run_client("sdk", SDK_SCRIPT.replace("IDS", repr(ids)), config(server, tmp_path, user.token))
    # qcs-sdk sends its token up front, so the granted restricted processor is listed too.
    assert set(ids) <= set(out["ids"])
    assert out["isas"]["Aspen-M-3"] == ["Aspen-M-3", 80, 106]
    assert out["isas"]["Ankaa-9Q-sim"] == ["Ankaa-9Q-sim", 9, 12]
    assert sorted(out["isas"]) == sorted(ids)


def test_pyquil_get_qc_converts_every_demo_processor(server, demo, tmp_path):
    user = make_user(server.ctx)
    out = run_client("pyquil", PYQUIL_SCRIPT.replace("IDS", repr(list(demo))), config(server, tmp_path, user.token))
    assert sorted(out) == sorted(demo)
    assert out["Ankaa-9Q-sim"] == out["Ankaa-9Q-noiseless"] == [9, 12]
    live_qubits, live_edges = out["Aspen-M-3"]
    assert 70 <= live_qubits <= 80 and live_edges > 80
