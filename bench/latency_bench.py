"""Latency of one program run, side by side in one run: the bare engine, pyquil's ``qc.run`` end to
end (compiled 2-qubit program, 1000 shots), a parametric re-run (same executable, new memory
map), and a trivial ``qc.compile`` on an idle server vs while another user's long job runs.

    python -m bench latency [-- --repeat 200]

Starts its own ``openqcs serve`` (SQLite, temp dir, two simulation processes) with a noiseless
Aspen-M-3; the client side runs in the pyquil virtualenv. Prints p50/p99 in ms and writes
bench/results/latency.json. QCS's best published parametric re-run is 36 ms (Karalekas et al.
2020); the goal here is a p50 of 10-12 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from openqcs.execution.admission import engine_for  # noqa: E402
from openqcs.processors.seed import published_isa  # noqa: E402
from openqcs.processors.service import import_isa  # noqa: E402
from openqcs.simulator.simulate import run_program  # noqa: E402
from tests.execution.conftest import Stubs, fund, wide_program  # noqa: E402
from tests.execution.test_grpc import execute, translate  # noqa: E402
from tests.execution.test_running import wait_running  # noqa: E402
from tests.support.clients import run_client, write_qcs_config  # noqa: E402
from tests.support.databases import database  # noqa: E402
from tests.support.factories import make_user  # noqa: E402
from tests.support.server import live_server  # noqa: E402

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
            "p99_ms": ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))] * 1e3}


def engine(isa: dict, repeat: int) -> list[float]:
    chosen = engine_for(BELL, True)  # the engine a worker picks for this job
    run_program(BELL, isa, SHOTS, {}, noiseless=True, engine=chosen)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run_program(BELL, isa, SHOTS, {}, noiseless=True, engine=chosen)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    isa = published_isa("Aspen-M-3")
    client = {"repeat": args.repeat, "processor": PROCESSOR, "bell": BELL, "parametric": PARAMETRIC,
              "trivial": TRIVIAL, "shots": SHOTS}
    with tempfile.TemporaryDirectory(prefix="openqcs-latency-") as directory, \
            database("sqlite", directory) as url, \
            live_server(url, directory, OPENQCS_LOG_LEVEL="ERROR", OPENQCS_EXECUTION_WORKERS="2") as server:
        with server.ctx.db.session(write=True) as session:
            import_isa(session, isa, now=server.ctx.clock.now(), processor_id=PROCESSOR, noiseless=True)
        user, other = make_user(server.ctx), make_user(server.ctx)
        for who in (user, other):
            fund(server.ctx, "user", who.idp_id, 10_000_000)
        env = write_qcs_config(Path(directory) / "qcs", api_url=server.base_url, grpc_url=server.settings.grpc_url,
                               issuer=server.settings.issuer, access_token=user.token)
        idle = run_client("pyquil", CLIENT.format(phases=["run", "compile"], **client), env, timeout=1800)
        stubs = Stubs(server, other.token)
        try:  # another user's long job (minutes) keeps one core busy while compile is measured again
            [long_id] = execute(stubs, PROCESSOR, translate(stubs, PROCESSOR, wide_program(25, 150), 10), {})
            wait_running(stubs, long_id)
            busy = run_client("pyquil", CLIENT.format(phases=["compile"], **client), env, timeout=1800)
        finally:
            stubs.channel.close()
    rows = {"bare engine (bell, 1000 shots)": percentiles(engine(isa, args.repeat)),
            "qc.run end to end (bell, 1000 shots)": percentiles(idle["run"]),
            "parametric re-run (new memory map)": percentiles(idle["parametric"]),
            "qc.compile trivial, idle server": percentiles(idle["compile"]),
            "qc.compile trivial, long job running": percentiles(busy["compile"])}
    print(f"{'measurement':<42}{'p50 ms':>10}{'p99 ms':>10}")
    for name, row in rows.items():
        print(f"{name:<42}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    ratio = rows["qc.compile trivial, long job running"]["p50_ms"] / rows["qc.compile trivial, idle server"]["p50_ms"]
    print(f"compile p50 while a long job runs / idle: {ratio:.2f}x")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "latency.json").write_text(json.dumps({"repeat": args.repeat, "rows": rows,
                                                      "busy_over_idle_compile_p50": ratio}, indent=2))
    return rows


if __name__ == "__main__":
    main()
