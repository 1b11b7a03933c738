"""API benchmark (issues 7, 13): per operation, req/s, p50/p99 *and* CPU microseconds per
request of each server's whole process tree, for openqcs beside (a) the same bytes from bare
Litestar, (b) the same bytes from raw ASGI, both on granian, and (c) Stoplight Prism mocking the
same spec, on SQLite and PostgreSQL, all in one run. Also the time from process start to the
first 200.

    make bench            # or: python -m bench api [--seconds 5] [--connections 16]

Load comes from autocannon (a separate Node process) on 127.0.0.1 only, bounded in time. On a
shared machine req/s moves with the neighbours' load; CPU per request hardly does, so judge by
it and by ratios taken side by side. Writes bench/results/latest.json and prints the table.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from tests.support.databases import database  # noqa: E402
from tests.support.server import free_port, live_server  # noqa: E402

PROCESSOR = "Aspen-M-3"


def node_tools() -> Path:
    bin_dir = BENCH / "node_modules" / ".bin"
    if not (bin_dir / "prism").exists() or not (BENCH / "node_modules" / "autocannon").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=BENCH, check=True)
    return bin_dir


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and all its descendants so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    tree, total = {pid}, 0.0
    for child, (parent, _cpu) in sorted(stats.items()):
        if parent in tree:
            tree.add(child)
    grew = True
    while grew:  # children may have smaller pids than their parents after pid wrap-around
        before = len(tree)
        tree |= {child for child, (parent, _cpu) in stats.items() if parent in tree}
        grew = len(tree) != before
    for member in tree:
        total += stats.get(member, (0, 0.0))[1]
    return total


# As `make run` serves: the system clock, not the test servers' movable clock (a stat per reading).
PRODUCTION = {"OPENQCS_CLOCK_FILE": ""}


def load(url: str, *, method: str = "GET", headers: dict | None = None, seconds: float, connections: int,
         body: str | None = None, slot_base: int = 0, server_pid: int | None = None,
         tokens: list[str] | None = None) -> dict:
    """One autocannon run; with ``server_pid``, also the server tree's CPU µs per request.
    ``tokens``: one bearer token per request, round robin (many accounts)."""
    spec = {"url": url, "method": method, "headers": headers or {}, "seconds": seconds,
            "connections": connections}
    if body:
        spec.update(bodyTemplate=body, slotBase=slot_base)
    if tokens:
        spec.update(tokens=tokens)
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    out = subprocess.run(["node", str(BENCH / "load.js"), json.dumps(spec)], capture_output=True, text=True,
                         timeout=seconds * 4 + 60, cwd=BENCH)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if server_pid:
        spent = tree_cpu_seconds(server_pid) - cpu_before
        result["cpu_us"] = round(spent * 1e6 / max(result.get("total", 0), 1), 1)
    return result


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def prepare(server) -> tuple[dict[str, str], list[dict]]:
    """Seed demo data, fund a user, make one reservation; return auth headers and the operations.
    CreateReservation books a processor of its own, so no earlier run's bookings slow it."""
    from openqcs.billing import service as billing
    from openqcs.domains import submodules
    from openqcs.identity.accounts import Account
    from tests.support.factories import make_processor, make_user

    for module in submodules("seed"):
        module.seed_demo(server.ctx)
    user = make_user(server.ctx, groups=("demo",))
    with server.ctx.db.session(write=True) as session:
        billing.credit(session, Account(user.idp_id, "user"), 10**12, note="bench", at=server.ctx.clock.now())
    auth = {"authorization": f"Bearer {user.token}", "content-type": "application/json"}
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(minutes=15)
    first = httpx.post(server.base_url + "/v1/reservations", headers=auth, json={
        "quantumProcessorId": PROCESSOR, "startTime": start.isoformat(), "endTime": end.isoformat()})
    first.raise_for_status()
    fresh = make_processor(server.ctx)
    body = f'{{"quantumProcessorId": "{fresh}", "startTime": "{{{{start}}}}", "endTime": "{{{{end}}}}"}}'
    isa = f"/v1/quantumProcessors/{PROCESSOR}/instructionSetArchitecture"
    ops = [
        {"op": "GetHealth", "method": "GET", "path": "/", "auth": False},
        {"op": "ListQuantumProcessors", "method": "GET", "path": "/v1/quantumProcessors", "auth": False},
        {"op": "GetInstructionSetArchitecture", "method": "GET", "path": isa, "auth": False},
        {"op": "GetInstructionSetArchitecture (auth)", "method": "GET", "path": isa, "auth": True},
        {"op": "GetReservation", "method": "GET", "path": f"/v1/reservations/{first.json()['id']}", "auth": True},
        {"op": "CreateReservation", "method": "POST", "path": "/v1/reservations", "auth": True, "body": body,
         "slot_base": int((start + timedelta(days=1)).timestamp())},
    ]
    return auth, ops


def record_answers(base_url: str, auth: dict, ops: list[dict]) -> str:
    """What openqcs answers to each operation, for the bare endpoint to replay byte for byte."""
    table = {}
    for op in ops:
        headers = auth if op["auth"] else {}
        if op["method"] == "GET":
            r = httpx.get(base_url + op["path"], headers=headers)
        else:
            r = httpx.post(base_url + op["path"], headers=headers, json={"quantumProcessorId": PROCESSOR,
                           "startTime": "2099-01-01T00:00:00Z", "endTime": "2099-01-01T00:15:00Z"})
        table[f"{op['method']} {op['path']}"] = {"status": r.status_code, "body": base64.b64encode(r.content).decode()}
    path = Path(tempfile.mkdtemp()) / "answers.json"
    path.write_text(json.dumps(table))
    return str(path)


def start_bare(answers: str, factory: str = "create") -> tuple[subprocess.Popen, str]:
    """``create``: bare Litestar; ``raw``: a plain ASGI callable (bench/bare_app.py)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-access-log", f"bench.bare_app:{factory}"],
        cwd=ROOT, env={**os.environ, "BARE_RESPONSES": answers}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url)
    return proc, url


def start_prism(tools: Path) -> tuple[subprocess.Popen, str]:
    from tests.support.openapi_doc import openapi_document

    doc = Path(tempfile.mkdtemp()) / "openapi.json"
    doc.write_text(json.dumps(openapi_document()))
    port = free_port()
    proc = subprocess.Popen([str(tools / "prism"), "mock", "-h", "127.0.0.1", "-p", str(port), str(doc)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, timeout=180)  # Prism takes over a minute to start on a loaded machine
    return proc, url


def time_to_first_200(db_url: str) -> float:
    directory = tempfile.mkdtemp()
    from openqcs.db.migrate import upgrade
    from tests.support.server import LiveServer

    upgrade(db_url)
    server = LiveServer(db_url, directory)
    started = time.monotonic()
    server.start()
    elapsed = time.monotonic() - started
    server.close()
    return elapsed


TARGETS = ("openqcs", "bare", "raw", "prism")


def run(seconds: float, connections: int, kinds: tuple[str, ...] = ("sqlite", "postgres")) -> dict:
    tools = node_tools()
    results: dict = {"seconds": seconds, "connections": connections, "databases": {}}
    prism, prism_url = start_prism(tools)
    try:
        for kind in kinds:
            directory = tempfile.mkdtemp()
            with database(kind, directory) as url, live_server(url, directory, **PRODUCTION) as server:
                auth, ops = prepare(server)
                answers = record_answers(server.base_url, auth, ops)
                (bare, bare_url), (raw, raw_url) = start_bare(answers), start_bare(answers, "raw")
                urls = {"openqcs": server.base_url, "bare": bare_url, "raw": raw_url, "prism": prism_url}
                pids = {"openqcs": server.process.pid, "bare": bare.pid, "raw": raw.pid, "prism": prism.pid}
                rows = []
                try:
                    for op in ops:
                        headers = auth if op["auth"] else {}
                        row = {"operation": op["op"]}
                        for target in TARGETS:
                            # Prism refuses optional-auth operations without a credential.
                            sent = {"authorization": "Bearer bench", **headers} if target == "prism" else headers
                            row[target] = load(urls[target] + op["path"], method=op["method"], headers=sent,
                                               seconds=seconds, connections=connections, body=op.get("body"),
                                               slot_base=op.get("slot_base", 0), server_pid=pids[target])
                        rows.append(row)
                finally:
                    for proc in (bare, raw):
                        proc.terminate()
                        proc.wait(10)
                results["databases"][kind] = rows
            with database(kind, tempfile.mkdtemp()) as url:
                results["databases"][kind + "_first_200_seconds"] = round(time_to_first_200(url), 3)
    finally:
        prism.terminate()
    from bench import startup_bench  # the default stack (gRPC, Forest, HTTPS issuer) on SQLite

    results["startup"] = startup_bench.run(5)
    return results


def _cell(figures: dict) -> str:
    return f"{figures['cpu_us']:>7.0f} µs {figures['rps']:>6.0f}/s"


def table(results: dict) -> str:
    lines = [f"{results['seconds']} s per run, {results['connections']} connections; "
             "CPU µs per request of each server's process tree, then req/s"]
    for kind in results["databases"]:
        if kind.endswith("_first_200_seconds"):
            continue
        lines.append(f"\n{kind}: time to first 200 = {results['databases'][kind + '_first_200_seconds']} s")
        lines.append(f"{'operation':38}" + "".join(f"{t:>18}" for t in TARGETS)
                     + f"{'x prism':>9}{'x bare':>8}")
        for row in results["databases"][kind]:
            mine = max(row["openqcs"]["cpu_us"], 0.1)
            lines.append(f"{row['operation']:38}" + "".join(f"{_cell(row[t]):>18}" for t in TARGETS)
                         + f"{row['prism']['cpu_us'] / mine:>9.2f}{row['bare']['cpu_us'] / mine:>8.2f}")
    if "startup" in results:
        from bench import startup_bench

        lines.append("\n" + startup_bench.table(results["startup"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args(argv)
    results = run(args.seconds, args.connections, tuple(args.databases.split(",")))
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1))
    text = table(results)
    (out / "latest.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
