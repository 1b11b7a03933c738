"""The per-job time limit (OPENQCS_JOB_TIME_LIMIT_SECONDS): jobs that cannot meet it are refused
before they queue, and jobs that overrun it are stopped."""

from __future__ import annotations

import grpc
import pytest

from openqcs.execution.proto import models_controller_pb2 as mc
from tests.support.clients import run_client, write_qcs_config
from tests.support.databases import database
from tests.support.execution import Stubs, code_of, execute, results, translate
from tests.support.factories import funded_user
from tests.support.factories import make_reference_processor as add_processor
from tests.support.programs import BELL, wide_program
from tests.support.server import live_server

LIMIT = 4
# Admission's lower bound for it is under LIMIT (~2 s); it simulates for 10-20 s here.
OVERRUNS = wide_program(24, 80)
# At least ~16 s by admission's lower bound: refused.
TOO_BIG = wide_program(26, 150)


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("budget"))
    with database("sqlite", directory) as url, live_server(url, directory, OPENQCS_JOB_TIME_LIMIT_SECONDS=str(LIMIT),
                                                           OPENQCS_EXECUTION_WORKERS="1") as srv:
        srv.processor = add_processor(srv.ctx, processor_id="Budget-QPU")
        yield srv


@pytest.fixture
def stubs(limited):
    s = Stubs(limited, funded_user(limited.ctx).token)
    yield s
    s.channel.close()


@pytest.mark.clients
def test_pyquil_is_told_a_job_over_the_limit_cannot_run(limited, tmp_path):
    user = funded_user(limited.ctx)
    env = write_qcs_config(tmp_path, api_url=limited.base_url, grpc_url=limited.settings.grpc_url,
                           issuer=limited.settings.issuer, access_token=user.token)
    out = run_client("pyquil", f"""
        import json
        from pyquil import get_qc, Program
        qc = get_qc({limited.processor!r}, execution_timeout=30.0)
        try:
            qc.compile(Program({TOO_BIG!r}).wrap_in_numshots_loop(100), to_native_gates=False, optimize=False)
            print(json.dumps("accepted"))
        except Exception as exc:
            print(json.dumps(str(exc)))
        """, env)
    assert "per-job time limit of 4 s" in out and "OPENQCS_JOB_TIME_LIMIT_SECONDS" in out
    assert "26 qubits" in out and "InvalidArgument" in out


def test_a_job_over_the_limit_is_refused_whatever_its_shots(limited, stubs):
    code, details = code_of(translate, stubs, limited.processor, TOO_BIG, 100)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "time limit of 4 s" in details
    # A noiseless state vector is simulated once for all shots: one shot is no cheaper.
    code, _ = code_of(translate, stubs, limited.processor, TOO_BIG, 1)
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_a_job_that_overruns_the_limit_is_stopped_with_a_message_naming_it(limited, stubs):
    [job_id] = execute(stubs, limited.processor, translate(stubs, limited.processor, OVERRUNS, 10), {})
    result = results(stubs, job_id)
    assert result.status == mc.ControllerJobExecutionResult.USER_FAILURE
    assert "stopped after 4 s" in result.status_message and "OPENQCS_JOB_TIME_LIMIT_SECONDS" in result.status_message
    # The slot is free again for the next job.
    [small] = execute(stubs, limited.processor, translate(stubs, limited.processor, BELL, 10), {})
    assert results(stubs, small).status == mc.ControllerJobExecutionResult.SUCCESS
