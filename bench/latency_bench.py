"""Latency of one program run, side by side in one run: the bare engine, pyquil's ``qc.run`` end to
end (compiled 2-qubit program, 1000 shots), a parametric re-run (same executable, new memory
map), and a trivial ``qc.compile`` on an idle server vs while another user's long job runs.

Beside them: the client floor (the same parametric re-run against a stub controller that answers
at once with a canned result: what pyquil, qcs-sdk and gRPC cost whatever the server does), the
services process's CPU per re-run, and a machine-speed reference (a fixed pure-Python loop), so
figures from different machines can be compared.

    python -m bench latency [-- --repeat 200]

Starts its own ``openqcs serve`` (SQLite, temp dir, two simulation processes) with a noiseless
Aspen-M-3; the client side runs in the pyquil virtualenv. Prints p50/p99 in ms and writes
bench/results/latency.json. QCS's best published parametric re-run is 36 ms (Karalekas et al.
2020); the goal here is a p50 of 10-12 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from openqcs.execution import results  # noqa: E402
from openqcs.execution.admission import engine_for  # noqa: E402
from openqcs.execution.proto import services_controller_pb2 as sc  # noqa: E402
from openqcs.execution.proto import services_controller_pb2_grpc as sc_grpc  # noqa: E402
from openqcs.processors.seed import published_isa  # noqa: E402
from openqcs.processors.service import import_isa  # noqa: E402
from openqcs.simulator.simulate import run_program  # noqa: E402
from tests.support.clients import run_client, write_qcs_config  # noqa: E402
from tests.support.databases import database  # noqa: E402
from tests.support.execution import Stubs, execute, translate, wait_running  # noqa: E402
from tests.support.factories import fund, make_user  # noqa: E402
from tests.support.programs import wide_program  # noqa: E402
from tests.support.server import free_port, live_server  # noqa: E402

PROCESSOR = "Bench-Latency"
SHOTS = 1000
# Compiled (native) programs, as qc.compile hands them over: H, CNOT and RX(theta) in RX/RZ/CZ.
_H1 = "RZ(pi/2) 1\nRX(pi/2) 1\nRZ(pi/2) 1\n"
BELL = "DECLARE ro BIT[2]\nRZ(pi/2) 0\nRX(pi/2) 0\nRZ(pi/2) 0\n" + _H1 + "CZ 0 1\n" + _H1 + \
    "MEASURE 0 ro[0]\nMEASURE 1 ro[1]\n"
PARAMETRIC = ("DECLARE theta REAL[1]\nDECLARE ro BIT[2]\nRZ(pi/2) 0\nRX(pi/2) 0\nRZ(theta) 0\nRX(-pi/2) 0\n"
              "RZ(-pi/2) 0\n" + _H1 + "CZ 0 1\n" + _H1 + "MEASURE 0 ro[0]\nMEASURE 1 ro[1]\n")
TRIVIAL = "DECLARE ro BIT[1]\nRX(pi) 0\nMEASURE 0 ro[0]\n"

CLIENT = """
import json, math, time, warnings
warnings.filterwarnings("ignore")
from pyquil import Program, get_qc

repeat, phases = {repeat}, {phases!r}
qc = get_qc({processor!r}, execution_timeout=60.0)
out = {{}}

def timed(fn):
    fn(); fn()  # warm-up: connections, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times

if "run" in phases:
    exe = qc.compile(Program({bell!r}).wrap_in_numshots_loop({shots}), to_native_gates=False, optimize=False)
    out["run"] = timed(lambda: qc.run(exe).get_register_map())
if "parametric" in phases:
    param = qc.compile(Program({parametric!r}).wrap_in_numshots_loop({shots}), to_native_gates=False,
                       optimize=False)
    angles = iter(i * 0.01 for i in range(10 ** 6))
    out["parametric"] = timed(lambda: qc.run(param, memory_map={{"theta": [next(angles)]}}).get_register_map())
if "compile" in phases:
    trivial = Program({trivial!r})
    out["compile"] = timed(lambda: qc.compile(trivial, to_native_gates=False, optimize=False))
print(json.dumps(out))
"""


def percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50_ms": statistics.median(ordered) * 1e3,
            "p99_ms": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1e3}


def engine(isa: dict, repeat: int) -> list[float]:
    chosen = engine_for(BELL, True)  # the engine a worker picks for this job
    # As a worker runs it: the ISA keyed by its version, so the device model is built once.
    run_program(BELL, isa, SHOTS, {}, noiseless=True, engine=chosen, isa_key="bench")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run_program(BELL, isa, SHOTS, {}, noiseless=True, engine=chosen, isa_key="bench")
        times.append(time.perf_counter() - start)
    return times


def python_loop_ms() -> float:
    """A fixed pure-Python loop (best of 5): the machine-speed reference printed with the figures."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - start)
    return best * 1e3


class StubController(sc_grpc.ControllerServicer):
    """Answers Execute and GetControllerJobResults at once with one canned result: the floor."""

    def __init__(self, result: bytes) -> None:
        parsed = results.pb.ControllerJobExecutionResult.FromString(result)
        self.result = sc.GetControllerJobResultsResponse(result=parsed)
        self.count = 0

    async def ExecuteControllerJob(self, request, context):
        self.count += 1
        return sc.ExecuteControllerJobResponse(job_execution_ids=[f"job-stub-{self.count}"])

    async def GetControllerJobResults(self, request, context):
        return self.result


@contextmanager
def stub_controller(isa: dict) -> Iterator[str]:
    """A stub controller in a thread of this process (idle otherwise while the client runs)."""
    out = run_program(PARAMETRIC, isa, SHOTS, {"theta": [0.0]}, noiseless=True, engine="reference")
    servicer = StubController(results.success(out.readout, out.memory, int(out.duration_us)))
    port, loop, ready = free_port(), asyncio.new_event_loop(), threading.Event()
    stopping: list[asyncio.Event] = []

    async def serve() -> None:
        import grpc

        server = grpc.aio.server()
        sc_grpc.add_ControllerServicer_to_server(servicer, server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        stopping.append(asyncio.Event())
        ready.set()
        await stopping[0].wait()
        await server.stop(grace=0)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stopping[0].set)
        thread.join(5)


def services_pid(grpc_port: int) -> int:
    """The process serving gRPC (openqcs serve's background services process)."""
    listing = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        if f":{grpc_port} " in line:
            found = re.search(r"pid=(\d+)", line)
            if found:
                return int(found.group(1))
    raise RuntimeError(f"nothing listens on gRPC port {grpc_port}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def prepare(server, isa: dict) -> dict[str, str]:
    """The processor, two funded users and the client configuration of the first; returns its env."""
    with server.ctx.db.session(write=True) as session:
        import_isa(session, isa, now=server.ctx.clock.now(), processor_id=PROCESSOR, noiseless=True)
    users = make_user(server.ctx), make_user(server.ctx)
    for who in users:
        fund(server.ctx, "user", who.idp_id, 10_000_000)
    env = write_qcs_config(Path(server.data_dir) / "qcs", api_url=server.base_url,
                           grpc_url=server.settings.grpc_url, issuer=server.settings.issuer,
                           access_token=users[0].token)
    env["OPENQCS_BENCH_OTHER_TOKEN"] = users[1].token
    return env


def floor(isa: dict, client: dict) -> list[float]:
    """The parametric re-run against the stub controller (translation and REST from a real server)."""
    with stub_controller(isa) as url, tempfile.TemporaryDirectory(prefix="openqcs-latency-floor-") as directory, \
            database("sqlite", directory) as db_url, \
            live_server(db_url, directory, OPENQCS_LOG_LEVEL="ERROR", OPENQCS_EXECUTION_WORKERS="0",
                        OPENQCS_CLOCK_FILE="", OPENQCS_PUBLIC_CONTROLLER_URL=url) as server:
        env = prepare(server, isa)
        return run_client("pyquil", CLIENT.format(phases=["parametric"], **client), env, timeout=1800)["parametric"]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    isa = published_isa("Aspen-M-3")
    client = {"repeat": args.repeat, "processor": PROCESSOR, "bell": BELL, "parametric": PARAMETRIC,
              "trivial": TRIVIAL, "shots": SHOTS}
    reference_ms = python_loop_ms()
    with tempfile.TemporaryDirectory(prefix="openqcs-latency-") as directory, \
            database("sqlite", directory) as url, \
            live_server(url, directory, OPENQCS_LOG_LEVEL="ERROR", OPENQCS_EXECUTION_WORKERS="2",
                        OPENQCS_CLOCK_FILE="") as server:
        env = prepare(server, isa)
        idle = run_client("pyquil", CLIENT.format(phases=["run", "compile"], **client), env, timeout=1800)
        pid = services_pid(server.settings.grpc_port)
        before = cpu_seconds(pid)
        idle.update(run_client("pyquil", CLIENT.format(phases=["parametric"], **client), env, timeout=1800))
        # Includes the client's start-up calls (accessors, one translation): small beside the re-runs.
        services_cpu_us = (cpu_seconds(pid) - before) / (args.repeat + 2) * 1e6
        stubs = Stubs(server, env["OPENQCS_BENCH_OTHER_TOKEN"])
        try:  # another user's long job (minutes) keeps one core busy while compile is measured again
            [long_id] = execute(stubs, PROCESSOR, translate(stubs, PROCESSOR, wide_program(25, 150), 10), {})
            wait_running(stubs, long_id)
            busy = run_client("pyquil", CLIENT.format(phases=["compile"], **client), env, timeout=1800)
        finally:
            stubs.channel.close()
    stub_times = floor(isa, client)
    rows = {"bare engine (bell, 1000 shots)": percentiles(engine(isa, args.repeat)),
            "qc.run end to end (bell, 1000 shots)": percentiles(idle["run"]),
            "parametric re-run (new memory map)": percentiles(idle["parametric"]),
            "parametric re-run, stub controller (floor)": percentiles(stub_times),
            "qc.compile trivial, idle server": percentiles(idle["compile"]),
            "qc.compile trivial, long job running": percentiles(busy["compile"])}
    print(f"{'measurement':<42}{'p50 ms':>10}{'p99 ms':>10}")
    for name, row in rows.items():
        print(f"{name:<42}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    ratio = rows["qc.compile trivial, long job running"]["p50_ms"] / rows["qc.compile trivial, idle server"]["p50_ms"]
    print(f"compile p50 while a long job runs / idle: {ratio:.2f}x")
    floor_p50 = rows["parametric re-run, stub controller (floor)"]["p50_ms"]
    ours = rows["parametric re-run (new memory map)"]["p50_ms"] - floor_p50
    print(f"parametric re-run p50 above the client floor (ours): {ours:.2f} ms; services process CPU per re-run: "
          f"{services_cpu_us:.0f} us")
    load = os.getloadavg()
    print(f"machine: pure-Python loop (1e6 iterations) {reference_ms:.1f} ms; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "latency.json").write_text(json.dumps({
        "repeat": args.repeat, "rows": rows, "busy_over_idle_compile_p50": ratio, "ours_p50_ms": ours,
        "services_cpu_us_per_rerun": services_cpu_us, "python_loop_ms": reference_ms, "load_average": load},
        indent=2))
    return rows


if __name__ == "__main__":
    main()
