"""Translation and controller over gRPC, with generated stubs: results, errors, access, reservations."""

from __future__ import annotations

import math

import grpc
import pytest
import quil.program

from openqcs.execution.proto import models_controller_pb2 as mc
from openqcs.execution.proto import services_controller_pb2 as sc
from openqcs.execution.proto import services_translation_pb2 as st
from tests.support.execution import Stubs, code_of, execute, reserve, results, translate
from tests.support.factories import funded_user
from tests.support.factories import make_reference_processor as add_processor
from tests.support.programs import BELL

SUCCESS = mc.ControllerJobExecutionResult.SUCCESS


def register(result, mappings, name):
    """Shots x length matrix of a register, through the readout mappings like qcs-sdk does."""
    size = len([k for k in mappings if k.startswith(name + "[")])
    columns = [list(result.readout_values[mappings[f"{name}[{i}]"]].integer_values.values) for i in range(size)]
    return [list(shot) for shot in zip(*columns, strict=True)]


def test_bell_pair_is_correlated_on_a_noiseless_processor(stubs, ideal):
    translated = translate(stubs, ideal, BELL, shots=200)
    assert dict(translated.metadata.readout_mappings).keys() == {"ro[0]", "ro[1]"}
    assert translated.job.encryption.key_id and translated.job.job
    [job_id] = execute(stubs, ideal, translated, {})
    result = results(stubs, job_id)
    assert result.status == SUCCESS, result.status_message
    shots = register(result, translated.metadata.readout_mappings, "ro")
    assert len(shots) == 200
    assert all(a == b for a, b in shots)
    assert {a for a, _ in shots} == {0, 1}
    assert result.execution_duration_microseconds > 0


def test_parametric_program_runs_once_per_memory_map_gzip(stubs, ideal):
    # RX(theta) in native gates: RZ(theta) between RX(pi/2) and RX(-pi/2), turned to the X axis.
    program = ("DECLARE theta REAL[1]\nDECLARE ro BIT[1]\nRZ(pi/2) 0\nRX(pi/2) 0\nRZ(theta) 0\nRX(-pi/2) 0\n"
               "RZ(-pi/2) 0\nMEASURE 0 ro[0]\n")
    translated = translate(stubs, ideal, program, shots=50)
    ids = execute(stubs, ideal, translated, {"theta": [0.0]}, {"theta": [math.pi]},
                  compression=grpc.Compression.Gzip)
    assert len(ids) == 2 and ids[0] != ids[1]
    zero, one = (register(results(stubs, i), translated.metadata.readout_mappings, "ro") for i in ids)
    assert zero == [[0]] * 50
    assert one == [[1]] * 50
    code, details = code_of(execute, stubs, ideal, translated, {"thetta": [1.0]})
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "'thetta' is not declared" in details and "theta" in details
    code, details = code_of(execute, stubs, ideal, translated, {"theta": [1.0, 2.0]})
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "2 values for 'theta'" in details
    code, details = code_of(execute, stubs, ideal, translated, {"theta": [math.nan]})
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "not a finite number" in details


def test_a_fraction_for_an_integer_region_is_refused_at_execute(stubs, ideal):
    # Refused at submission, by the check the worker would apply: not queued to fail later.
    program = "DECLARE k INTEGER[1]\nDECLARE ro BIT[1]\nRZ(pi) 0\nMEASURE 0 ro[0]\n"
    translated = translate(stubs, ideal, program, shots=5)
    code, details = code_of(execute, stubs, ideal, translated, {"k": [0.5]})
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "execution configuration 0: memory value k[0] = 0.5 is not an integer, but k is INTEGER" in details
    ids = execute(stubs, ideal, translated, {"k": [3.0]})
    assert len(ids) == 1 and register(results(stubs, ids[0]), translated.metadata.readout_mappings, "ro") == [[0]] * 5


def test_batch_execute_and_status(stubs, ideal):
    translated = translate(stubs, ideal, BELL, shots=10)
    request = sc.ExecuteControllerJobRequest(execution_configurations=[mc.JobExecutionConfiguration()],
                                             encrypted=translated.job, quantum_processor_id=ideal)
    batch = stubs.call("BatchExecuteControllerJobs", sc.BatchExecuteControllerJobsRequest(requests=[request] * 2))
    ids = [r.job_execution_ids[0] for r in batch.responses]
    assert len(set(ids)) == 2
    for job_id in ids:
        assert results(stubs, job_id).status == SUCCESS
        status = stubs.call("GetControllerJobStatus", sc.GetControllerJobStatusRequest(job_id=job_id))
        assert status.status == sc.GetControllerJobStatusResponse.SUCCEEDED
        assert status.estimated_job_completion_delay.now.seconds > 0
    # Finished jobs cannot be cancelled.
    code, details = code_of(stubs.call, "CancelControllerJobs", sc.CancelControllerJobsRequest(job_ids=ids[:1]))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "already succeeded" in details


@pytest.mark.parametrize("program, expected", [
    ("DECLARE ro BIT[1]\nH 0\nMEASURE 0 ro[0]\nFROB 0\n", "line 4"),
    ("DECLARE ro BIT[1]\nX 8\nMEASURE 8 ro[0]\n", "qubit 8 is not live"),
    ("DECLARE ro BIT[2]\nCZ 0 2\nMEASURE 0 ro[0]\n", "line 2: `CZ 0 2`: qubits 0 and 2"),
    ("DECLARE ro BIT[1\nMEASURE 0 ro[0]\n", ""),
])
def test_bad_programs_are_invalid_argument(stubs, ideal, program, expected):
    code, details = code_of(translate, stubs, ideal, program)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert expected in details and details


def test_bad_shots_and_unknown_or_hidden_processors(server, stubs, ideal):
    code, details = code_of(translate, stubs, ideal, BELL, 0)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "num_shots" in details
    code, details = code_of(translate, stubs, "No-Such-QPU", BELL)
    assert code == grpc.StatusCode.NOT_FOUND and "No-Such-QPU" in details
    hidden = add_processor(server.ctx, public=False)
    code, _ = code_of(translate, stubs, hidden, BELL)
    assert code == grpc.StatusCode.NOT_FOUND


def test_tokens_are_required_and_checked(server, ideal):
    for token in (None, "not-a-jwt"):
        anonymous = Stubs(server, token)
        try:
            code, details = code_of(translate, anonymous, ideal, BELL)
            assert code == grpc.StatusCode.UNAUTHENTICATED and details
            code, _ = code_of(anonymous.call, "GetControllerJobResults",
                              sc.GetControllerJobResultsRequest(job_execution_id="job-x"))
            assert code == grpc.StatusCode.UNAUTHENTICATED
        finally:
            anonymous.channel.close()


def test_forged_jobs_and_foreign_jobs_are_refused(server, stubs, other_user, ideal):
    translated = translate(stubs, ideal, BELL, shots=5)
    forged = mc.EncryptedControllerJob()
    forged.CopyFrom(translated.job)
    forged.job = forged.job.replace(b'"shots":5', b'"shots":9')
    request = sc.ExecuteControllerJobRequest(encrypted=forged, quantum_processor_id=ideal)
    code, details = code_of(stubs.call, "ExecuteControllerJob", request)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "integrity" in details
    wrong_target = sc.ExecuteControllerJobRequest(encrypted=translated.job, quantum_processor_id="Other-QPU")
    code, details = code_of(stubs.call, "ExecuteControllerJob", wrong_target)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "translated for" in details

    unknown_endpoint = sc.ExecuteControllerJobRequest(encrypted=translated.job, endpoint_id="ep-missing")
    code, details = code_of(stubs.call, "ExecuteControllerJob", unknown_endpoint)
    assert code == grpc.StatusCode.NOT_FOUND and "endpoint 'ep-missing' not found" in details
    code, details = code_of(results, stubs, "job-missing")
    assert code == grpc.StatusCode.NOT_FOUND and "job 'job-missing' not found" in details

    [job_id] = execute(stubs, ideal, translated, {})
    other = Stubs(server, other_user.token)
    try:
        code, _ = code_of(other.call, "GetControllerJobResults",
                          sc.GetControllerJobResultsRequest(job_execution_id=job_id))
        assert code == grpc.StatusCode.NOT_FOUND
        code, _ = code_of(other.call, "CancelControllerJobs", sc.CancelControllerJobsRequest(job_ids=[job_id]))
        assert code == grpc.StatusCode.NOT_FOUND
    finally:
        other.channel.close()
    assert results(stubs, job_id).status == SUCCESS


def test_results_of_a_job_submitted_here_still_check_the_caller(server, ideal):
    """The submitter's results come from memory (execution/recent.py): access still follows the
    token — a disabled submitter is refused at once, another user never sees the job."""
    from openqcs.identity.service import set_disabled

    submitter = funded_user(server.ctx)
    stubs = Stubs(server, submitter.token)
    try:
        translated = translate(stubs, ideal, BELL, shots=5)
        ids = [execute(stubs, ideal, translated, {})[0] for _ in range(3)]
        assert all(results(stubs, job_id).status == SUCCESS for job_id in ids)
        assert results(stubs, ids[0]).status == SUCCESS  # asked again: the same answer
        with server.ctx.db.session(write=True) as session:
            set_disabled(session, server.ctx.clock, submitter.email)
        code, _ = code_of(results, stubs, ids[1])
        assert code == grpc.StatusCode.UNAUTHENTICATED
    finally:
        stubs.channel.close()


def test_jobs_already_billed_do_not_count_against_the_credit_left(server, ideal):
    """Admission counts recent jobs from an upper bound first; billed ones must not be held
    against the account: with 3 cents, two billed 1-cent jobs leave room for a third."""
    import time

    from openqcs.billing.service import balance_cents
    from openqcs.identity.accounts import Account

    payer = funded_user(server.ctx, cents=3)
    stubs = Stubs(server, payer.token)
    try:
        translated = translate(stubs, ideal, BELL, shots=5)
        for _ in range(2):
            assert results(stubs, execute(stubs, ideal, translated, {})[0]).status == SUCCESS
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the biller's batch lands within a second
            with server.ctx.db.session() as session:
                if balance_cents(session, Account(payer.idp_id, "user")) == 1:
                    break
            time.sleep(0.1)
        [third] = execute(stubs, ideal, translated, {})
        assert results(stubs, third).status == SUCCESS
        _, details = code_of(execute, stubs, ideal, translated, {})  # and then the credit is spent
        assert "insufficient credit" in details
    finally:
        stubs.channel.close()


def test_only_the_reservation_holder_may_execute(server, stubs, user):
    processor = add_processor(server.ctx)
    holder = funded_user(server.ctx, groups=("exec-team",))
    end = reserve(server.ctx, processor, "group", "exec-team")
    translated = translate(stubs, processor, BELL, shots=5)  # translating is always allowed
    code, details = code_of(execute, stubs, processor, translated, {})
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "reserved by another account" in details and end.strftime("%Y-%m-%dT%H:%M") in details
    member = Stubs(server, holder.token)
    try:
        [job_id] = execute(member, processor, translated, {})
        assert results(member, job_id).status == SUCCESS
    finally:
        member.channel.close()


def test_calibration_program_is_quil_t_for_live_qubits(stubs, ideal):
    text = stubs.call("GetQuantumProcessorQuilCalibrationProgram",
                      st.GetQuantumProcessorQuilCalibrationProgramRequest(quantum_processor_id=ideal)
                      ).quil_calibration_program
    parsed = quil.program.Program.parse(text)
    assert len(parsed.calibrations.calibrations) > 100
    assert "DEFCAL RX(pi/2) 0:" in text and "DEFCAL CZ 0 1:" in text and "DEFCAL MEASURE 0 addr" in text
    assert " 8 " not in text.replace("\n", " ")


def test_an_offline_processor_refuses_translation_and_execution(server, stubs):
    from openqcs.processors.service import set_status

    processor = add_processor(server.ctx)
    translated = translate(stubs, processor, BELL)
    with server.ctx.db.session(write=True) as session:
        set_status(session, processor, "offline")
    for call in (lambda: translate(stubs, processor, BELL), lambda: execute(stubs, processor, translated, {})):
        code, details = code_of(call)
        assert code == grpc.StatusCode.UNAVAILABLE and "offline" in details and processor in details
    with server.ctx.db.session(write=True) as session:
        set_status(session, processor, "online")
    assert len(execute(stubs, processor, translated, {})) == 1


def test_recent_jobs_keep_small_results_only():
    """The submitter's results are kept in memory only while small (execution/recent.py)."""
    from openqcs.execution.recent import MAX_RESULT_BYTES, RecentJobs

    recent = RecentJobs(size=4)
    recent.submitted("db", 7, 1, ["small", "large", "other"])
    assert recent.lookup("db", 7, 1, "small") == (True, None)  # running
    recent.finished("small", b"x" * 10)
    recent.finished("large", b"x" * (MAX_RESULT_BYTES + 1))
    assert recent.lookup("db", 7, 1, "small") == (True, b"x" * 10)
    assert recent.lookup("db", 7, 1, "large") == (False, None)  # read from the database
    assert recent.lookup("db", 7, 2, "small") == (False, None)  # another user
    assert recent.lookup("db", 8, 1, "small") == (False, None)  # the auth generation moved
    recent.finished("other", None)  # ended some other way (cancelled): the database tells
    assert recent.lookup("db", 7, 1, "other") == (False, None)
