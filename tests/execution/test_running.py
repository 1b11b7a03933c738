"""Running jobs: a cancel stops the simulation process and frees its slot; results arrive when the
job ends (no polling) on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import psutil

from openqcs.execution.proto import models_controller_pb2 as mc
from openqcs.execution.proto import services_controller_pb2 as sc
from tests.support.execution import RUNNING, execute, results, translate, wait_running
from tests.support.programs import BELL, LONG, wide_program

# Longer than the abandonment grace (15 s) on any engine here, even on an idle machine with qsim.
LONGER = wide_program(25, 400)


def simulation_processes(server) -> list[psutil.Process]:
    """The simulation processes: spawned children of the services process (itself a child of serve)."""
    serve = psutil.Process(server.process.pid)
    found = []
    for child in serve.children(recursive=True):
        try:
            if child.ppid() != serve.pid and "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found



def assert_stopped(stubs, job_id: str, process: psutil.Process, why: str) -> None:
    """The job reports a cancellation saying ``why``, and its simulation process is gone."""
    result = results(stubs, job_id)
    assert result.status == mc.ControllerJobExecutionResult.USER_CANCELLATION
    assert why in result.status_message
    process.wait(30)
    assert not process.is_running()


def busy_process(server, seconds: float = 60, cpu_seconds: float = 0.0) -> psutil.Process:
    """The simulation process that is burning a core (and has used ``cpu_seconds`` already: more
    than a process needs to start, so it is simulating)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for proc in simulation_processes(server):
            try:
                used = sum(proc.cpu_times()[:2])
                if used >= cpu_seconds and proc.cpu_percent(interval=0.2) > 50:
                    return proc
            except psutil.NoSuchProcess:
                continue
    raise AssertionError("no simulation process is busy")


def test_cancelling_a_running_job_stops_its_process_and_frees_the_slot(server, stubs, ideal):
    [long_id] = execute(stubs, ideal, translate(stubs, ideal, LONG, shots=10), {})
    wait_running(stubs, long_id)
    process = busy_process(server)
    stubs.call("CancelControllerJobs", sc.CancelControllerJobsRequest(job_ids=[long_id]))
    result = results(stubs, long_id)
    assert result.status == mc.ControllerJobExecutionResult.USER_CANCELLATION
    assert "cancelled by the user while it ran" in result.status_message
    status = stubs.call("GetControllerJobStatus", sc.GetControllerJobStatusRequest(job_id=long_id)).status
    assert status == sc.GetControllerJobStatusResponse.CANCELED
    # The process that simulated it is stopped (a new one runs the next job)...
    process.wait(30)
    assert not process.is_running()
    # ...and the slot runs the next job; with one worker it would otherwise wait for the long one.
    [small] = execute(stubs, ideal, translate(stubs, ideal, BELL, shots=10), {})
    assert results(stubs, small).status == mc.ControllerJobExecutionResult.SUCCESS


def test_results_wait_for_the_job_and_answer_when_it_ends(server, stubs, ideal):
    translated = translate(stubs, ideal, BELL, shots=50)
    ids = execute(stubs, ideal, translated, *[{}] * 5)
    waiting = [stubs.controller.GetControllerJobResults.future(
        sc.GetControllerJobResultsRequest(job_execution_id=i), metadata=stubs.metadata, timeout=30) for i in ids]
    assert [w.result().result.status for w in waiting] == [mc.ControllerJobExecutionResult.SUCCESS] * 5


def test_an_administrator_cancels_another_users_running_job_from_the_cli(server, stubs, ideal):
    import subprocess

    from tests.support.server import OPENQCS

    [long_id] = execute(stubs, ideal, translate(stubs, ideal, LONG, shots=10), {})
    wait_running(stubs, long_id)
    process = busy_process(server)
    # Another process writes the cancel: the worker sees it at its next check and stops the simulation.
    done = subprocess.run([OPENQCS, "admin", "job", "cancel", long_id], env=server.env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert_stopped(stubs, long_id, process, "cancelled by an administrator while it ran")


def test_a_job_whose_client_stopped_waiting_is_stopped(server, stubs, ideal):
    import grpc

    from openqcs.execution import abandon

    [long_id] = execute(stubs, ideal, translate(stubs, ideal, LONGER, shots=10), {})
    wait_running(stubs, long_id)
    process = busy_process(server)
    request = sc.GetControllerJobResultsRequest(job_execution_id=long_id)
    try:  # the client gives up, as pyquil does after its execution timeout
        stubs.controller.GetControllerJobResults(request, metadata=stubs.metadata, timeout=1)
        raise AssertionError("the results call should have timed out")
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    deadline = time.monotonic() + abandon.GRACE_SECONDS + 20
    status = None
    while time.monotonic() < deadline:
        status = stubs.call("GetControllerJobStatus", sc.GetControllerJobStatusRequest(job_id=long_id)).status
        if status != RUNNING:
            break
        time.sleep(0.5)
    assert status == sc.GetControllerJobStatusResponse.CANCELED
    assert_stopped(stubs, long_id, process, "client stopped waiting")


def test_a_job_that_keeps_killing_its_process_fails_after_its_attempts(server, stubs, ideal):
    import signal

    from openqcs.execution import queue

    [job_id] = execute(stubs, ideal, translate(stubs, ideal, LONG, shots=10), {})
    for _ in range(queue.MAX_ATTEMPTS):
        wait_running(stubs, job_id)
        process = busy_process(server, cpu_seconds=2.0)
        process.send_signal(signal.SIGKILL)  # as the kernel's OOM killer would
        process.wait(10)
    result = results(stubs, job_id)
    assert result.status == mc.ControllerJobExecutionResult.SERVICE_FAILURE
    assert f"stopped {queue.MAX_ATTEMPTS} times" in result.status_message
    assert "killed by signal 9" in result.status_message
    # The gRPC services outlived every killed process, and a new one runs the next job.
    [small] = execute(stubs, ideal, translate(stubs, ideal, BELL, shots=10), {})
    assert results(stubs, small).status == mc.ControllerJobExecutionResult.SUCCESS
