"""Start-up benchmark (issue 13): how long a warm ``openqcs serve`` (SQLite, demo data, the
defaults: gRPC, a job worker, quilc, the QVM and the HTTPS issuer all on, on free ports) takes to
its first HTTP 200 and to its first successful gRPC call (an authenticated
GetQuantumProcessorQuilCalibrationProgram), with the CPU seconds its processes (all of its
session) had used by then, which the load of a shared machine moves far less than the times
(and, by the 200, the main process's own: the rest is the services process and what it starts);
then how long it takes to exit on SIGTERM.

    python -m bench startup [-- --starts 7] [--against DIR]

One start is made first and not counted (the file cache warms up, the signing key and TLS files
are made, the bytecode is compiled). The servers keep their bytecode in a cache of the bench's
own (``PYTHONPYCACHEPREFIX``, even under ``PYTHONDONTWRITEBYTECODE``), as any installed copy has
it, without writing into the trees: with no cache every start compiles openqcs's ~130 modules
again (about 0.1 s). Prints medians with the load average; writes bench/results/startup.json. With
``--against DIR`` (another source tree, e.g. ``git archive <commit> | tar -x -C DIR``), starts
alternate between this tree and DIR's ``src`` on the same database, so both see the same load.
On a machine shared with other work, ``--nice -10`` (root only) runs this bench and the servers
(and their session's scheduling group) ahead of that work, which comes close to an idle machine;
the table says when it was used.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.server import OPENQCS, free_port  # noqa: E402

PROCESSOR = "Aspen-M-3"
ISSUER = "http://127.0.0.1/oauth2/default"  # fixed, so the one token stays valid across starts
POLL_SECONDS = 0.01


def prepare(db_url: str, data_dir: str) -> str:
    """A migrated SQLite database with demo data and a demo user; returns the user's token."""
    from openqcs.config import load_settings
    from openqcs.context import AppContext
    from openqcs.db.migrate import upgrade
    from openqcs.domains import submodules
    from tests.support.factories import make_user

    upgrade(db_url)
    ctx = AppContext.create(load_settings({"OPENQCS_DATABASE_URL": db_url, "OPENQCS_DATA_DIR": data_dir,
                                          "OPENQCS_ISSUER_URL": ISSUER}))
    try:
        for module in submodules("seed"):
            module.seed_demo(ctx)
        return make_user(ctx, groups=("demo",)).token
    finally:
        ctx.close()


def session_cpu_seconds(sid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of every process in session ``sid``, with their reaped
    children, and of the session's leader alone (``serve``'s main process: the app, granian)."""
    ticks = leader = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[3]) == sid:
                ticks += sum(int(field) for field in stat[11:15])
                if int(entry.name) == sid:
                    leader = sum(int(field) for field in stat[11:13])
    return ticks / os.sysconf("SC_CLK_TCK"), leader / os.sysconf("SC_CLK_TCK")


def _first_http_200(url: str, started: float, out: dict, stop: threading.Event, sid: int) -> None:
    with httpx.Client(timeout=1) as client:
        while not stop.is_set():
            try:
                if client.get(url).status_code == 200:
                    out["http"] = time.monotonic() - started
                    out["http_cpu"], out["http_cpu_main"] = session_cpu_seconds(sid)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(POLL_SECONDS)


def _first_grpc_ok(target: str, token: str, started: float, out: dict, stop: threading.Event, sid: int) -> None:
    import grpc

    from openqcs.execution.proto import services_translation_pb2 as st
    from openqcs.execution.proto import services_translation_pb2_grpc as st_grpc

    request = st.GetQuantumProcessorQuilCalibrationProgramRequest(quantum_processor_id=PROCESSOR)
    while not stop.is_set():
        with grpc.insecure_channel(target) as channel:
            try:
                st_grpc.TranslationStub(channel).GetQuantumProcessorQuilCalibrationProgram(
                    request, metadata=[("authorization", f"Bearer {token}")], timeout=2)
                out["grpc"] = time.monotonic() - started
                out["grpc_cpu"] = session_cpu_seconds(sid)[0]
                return
            except grpc.RpcError as exc:
                if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    out["grpc_error"] = f"{exc.code()}: {exc.details()}"
                    return
        time.sleep(POLL_SECONDS)


def one_start(db_url: str, data_dir: str, token: str, timeout: float = 60, source: str | None = None) -> dict:
    """Start ``openqcs serve`` (from ``source``'s ``src`` when given), time the first HTTP 200 and
    gRPC answer, then SIGTERM it. Bytecode is cached under ``data_dir``."""
    http_port, grpc_port = free_port(), free_port()
    env = {**os.environ, "OPENQCS_HOST": "127.0.0.1", "OPENQCS_HTTP_PORT": str(http_port),
           "OPENQCS_GRPC_PORT": str(grpc_port), "OPENQCS_HTTPS_PORT": str(free_port()),
           "OPENQCS_QUILC_PORT": str(free_port()), "OPENQCS_QVM_PORT": str(free_port()),
           "OPENQCS_DATA_DIR": data_dir, "OPENQCS_DATABASE_URL": db_url, "OPENQCS_ISSUER_URL": ISSUER,
           "OPENQCS_LOG_LEVEL": "WARNING", "PYTHONPYCACHEPREFIX": os.path.join(data_dir, "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if source:
        env["PYTHONPATH"] = os.pathsep.join([str(Path(source) / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out: dict = {}
    stop = threading.Event()
    log = open(os.path.join(data_dir, "server.log"), "ab")  # noqa: SIM115 - the server writes to it
    started = time.monotonic()
    process = subprocess.Popen([OPENQCS, "serve"], env=env, stdout=log, stderr=log, start_new_session=True)
    if os.nice(0):
        # A session of its own is a scheduling group of its own (autogroup), which the process
        # niceness does not reach: give the group the same niceness.
        with contextlib.suppress(OSError):
            Path(f"/proc/{process.pid}/autogroup").write_text(str(os.nice(0)))
    pollers = [threading.Thread(target=_first_http_200, args=(f"http://127.0.0.1:{http_port}/v1/healthcheck",
                                                              started, out, stop, process.pid)),
               threading.Thread(target=_first_grpc_ok, args=(f"127.0.0.1:{grpc_port}", token, started, out, stop,
                                                             process.pid))]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        poller.join(max(0.0, started + timeout - time.monotonic()))
    stop.set()
    for poller in pollers:
        poller.join()
    stopping = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
        out["stop"] = time.monotonic() - stopping
    except subprocess.TimeoutExpired:
        out["stop"] = None
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
    log.close()
    return out


def run(starts: int, against: str | None = None) -> dict:
    directory = tempfile.mkdtemp(prefix="openqcs-startup-")
    db_url = f"sqlite:///{directory}/openqcs.db"
    token = prepare(db_url, directory)
    sources = {"this tree": None, **({f"against {against}": against} if against else {})}
    for source in sources.values():
        one_start(db_url, directory, token, source=source)  # warm-up, not counted
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {name: [] for name in sources}
    for _ in range(starts):
        for name, source in sources.items():
            runs[name].append(one_start(db_url, directory, token, source=source))
    load_after = os.getloadavg()
    failed = [r for rs in runs.values() for r in rs if "http" not in r or "grpc" not in r]
    if failed:
        raise RuntimeError(f"{len(failed)} starts did not come up: {failed}; see {directory}/server.log")
    return {"starts": starts, "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "trees": {name: _summary(rs) for name, rs in runs.items()}}


def _summary(runs: list[dict]) -> dict:
    def median(key: str) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None]
        return round(statistics.median(values), 3) if values else None

    return {"first_http_200_seconds": median("http"), "first_grpc_ok_seconds": median("grpc"),
            "sigterm_exit_seconds": median("stop"), "cpu_seconds_by_first_http_200": median("http_cpu"),
            "main_cpu_seconds_by_first_http_200": median("http_cpu_main"),
            "cpu_seconds_by_first_grpc_ok": median("grpc_cpu"),
            "runs": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in runs]}


def table(results: dict) -> str:
    lines = [f"openqcs serve, {results['starts']} warm starts each (median; load average "
             f"{results['load_average_before'][0]} -> {results['load_average_after'][0]}"
             + (f"; at niceness {results['niceness']}" if results.get("niceness") else "") + ")",
             f"{'':34}{'first HTTP 200':>16}{'first gRPC answer':>19}{'exit on SIGTERM':>17}"
             f"{'CPU by the 200':>16}{'of main':>10}{'CPU by gRPC':>13}"]
    for name, summary in results["trees"].items():
        lines.append(f"{name[:34]:34}{summary['first_http_200_seconds']:>14} s{summary['first_grpc_ok_seconds']:>17} s"
                     f"{summary['sigterm_exit_seconds']:>15} s{summary['cpu_seconds_by_first_http_200']:>14} s"
                     f"{summary['main_cpu_seconds_by_first_http_200']:>8} s"
                     f"{summary['cpu_seconds_by_first_grpc_ok']:>11} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--against", help="another source tree to alternate starts with")
    parser.add_argument("--nice", type=int, default=0, help="niceness for this bench and the servers it starts")
    args = parser.parse_args(argv)
    if args.nice:
        os.nice(args.nice)
        with contextlib.suppress(OSError):  # this bench's pollers time the servers: ahead as well
            Path("/proc/self/autogroup").write_text(str(args.nice))
    results = {**run(args.starts, args.against), "niceness": os.nice(0)}
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "startup.json").write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
