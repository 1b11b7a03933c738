"""API benchmark (issue 7): req/s, p50 and p99 per operation, beside (a) the same bytes from a
bare framework endpoint and (b) Stoplight Prism mocking the same spec, on SQLite and PostgreSQL,
all measured in one run. Also the time from process start to the first 200.

    make bench            # or: python -m bench api [--seconds 5] [--connections 16]

Load comes from autocannon (a separate Node process) on 127.0.0.1 only, bounded in time.
Writes bench/results/latest.json and prints a table of the figures and ratios.
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
from datetime import datetime, timedelta, timezone
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


def load(url: str, *, method: str = "GET", headers: dict | None = None, seconds: float, connections: int,
         body: str | None = None, slot_base: int = 0) -> dict:
    spec = {"url": url, "method": method, "headers": headers or {}, "seconds": seconds,
            "connections": connections}
    if body:
        spec.update(bodyTemplate=body, slotBase=slot_base)
    out = subprocess.run(["node", str(BENCH / "load.js"), json.dumps(spec)], capture_output=True, text=True,
                         timeout=seconds * 4 + 60, cwd=BENCH)
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    """Seed demo data, fund a user, make one reservation; return auth headers and the operations."""
    from openqcs.billing import service as billing
    from openqcs.domains import submodules
    from openqcs.identity.accounts import Account
    from tests.support.factories import make_user

    for module in submodules("seed"):
        module.seed_demo(server.ctx)
    user = make_user(server.ctx, groups=("demo",))
    with server.ctx.db.session(write=True) as session:
        billing.credit(session, Account(user.idp_id, "user"), 10**12, note="bench", at=server.ctx.clock.now())
    auth = {"authorization": f"Bearer {user.token}", "content-type": "application/json"}
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    first = httpx.post(server.base_url + "/v1/reservations", headers=auth, json={
        "quantumProcessorId": PROCESSOR, "startTime": start.isoformat(), "endTime": (start + timedelta(minutes=15)).isoformat()})
    first.raise_for_status()
    body = '{"quantumProcessorId": "%s", "startTime": "{{start}}", "endTime": "{{end}}"}' % PROCESSOR
    ops = [
        {"op": "GetHealth", "method": "GET", "path": "/", "auth": False},
        {"op": "ListQuantumProcessors", "method": "GET", "path": "/v1/quantumProcessors", "auth": False},
        {"op": "GetInstructionSetArchitecture", "method": "GET",
         "path": f"/v1/quantumProcessors/{PROCESSOR}/instructionSetArchitecture", "auth": False},
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
            r = httpx.post(base_url + op["path"], headers=headers, json={
                "quantumProcessorId": PROCESSOR, "startTime": "2099-01-01T00:00:00Z", "endTime": "2099-01-01T00:15:00Z"})
        table[f"{op['method']} {op['path']}"] = {"status": r.status_code, "body": base64.b64encode(r.content).decode()}
    path = Path(tempfile.mkdtemp()) / "answers.json"
    path.write_text(json.dumps(table))
    return str(path)


def start_bare(answers: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-access-log", "bench.bare_app:create"],
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
    wait_ready(url)
    return proc, url


def time_to_first_200(db_url: str) -> float:
    directory = tempfile.mkdtemp()
    from tests.support.server import LiveServer
    from openqcs.db.migrate import upgrade

    upgrade(db_url)
    server = LiveServer(db_url, directory)
    started = time.monotonic()
    server.start()
    elapsed = time.monotonic() - started
    server.close()
    return elapsed


def run(seconds: float, connections: int) -> dict:
    tools = node_tools()
    results: dict = {"seconds": seconds, "connections": connections, "databases": {}}
    prism, prism_url = start_prism(tools)
    try:
        for kind in ("sqlite", "postgres"):
            directory = tempfile.mkdtemp()
            with database(kind, directory) as url, live_server(url, directory, OPENQCS_WORKERS="2") as server:
                auth, ops = prepare(server)
                bare, bare_url = start_bare(record_answers(server.base_url, auth, ops))
                rows = []
                try:
                    for op in ops:
                        headers = auth if op["auth"] else {}
                        row = {"operation": op["op"]}
                        for target, base in (("openqcs", server.base_url), ("bare", bare_url), ("prism", prism_url)):
                            # Prism refuses optional-auth operations without a credential.
                            sent = {"authorization": "Bearer bench", **headers} if target == "prism" else headers
                            row[target] = load(base + op["path"], method=op["method"], headers=sent,
                                               seconds=seconds, connections=connections, body=op.get("body"),
                                               slot_base=op.get("slot_base", 0))
                        rows.append(row)
                finally:
                    bare.terminate()
                results["databases"][kind] = rows
            with database(kind, tempfile.mkdtemp()) as url:
                results["databases"][kind + "_first_200_seconds"] = round(time_to_first_200(url), 3)
    finally:
        prism.terminate()
    return results


def table(results: dict) -> str:
    lines = []
    for kind in ("sqlite", "postgres"):
        lines.append(f"\n{kind}: time to first 200 = {results['databases'][kind + '_first_200_seconds']} s")
        lines.append(f"{'operation':32} {'openqcs req/s':>14} {'p50/p99 ms':>11} {'bare req/s':>11} "
                     f"{'prism req/s':>12} {'vs bare':>8} {'vs prism':>9}")
        for row in results["databases"][kind]:
            o, b, p = row["openqcs"], row["bare"], row["prism"]
            lines.append(f"{row['operation']:32} {o['rps']:>14.0f} {o['p50']:>5}/{o['p99']:<5} {b['rps']:>11.0f} "
                         f"{p['rps']:>12.0f} {o['rps'] / max(b['rps'], 1):>8.2f} {o['rps'] / max(p['rps'], 1):>9.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    results = run(args.seconds, args.connections)
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1))
    text = table(results)
    (out / "latest.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
