"""ISA benchmark: GetInstructionSetArchitecture (Aspen-M-3: plain, gzip, 304) and
ListQuantumProcessors req/s from a real ``openqcs serve``, beside a bare Litestar endpoint on
granian answering the very same bytes and headers, measured side by side in one run.

    python -m bench isa                      # or: python bench/isa_bench.py [--requests 3000]

Load comes from autocannon (a separate Node process) on 127.0.0.1 only, a bounded number of
requests per case. Prints a table with the ratios; writes bench/results/isa.json.
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
from pathlib import Path

import httpx
from litestar import Litestar, Request, Response, get

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

PROCESSOR = "Aspen-M-3"
ISA_PATH = f"/v1/quantumProcessors/{PROCESSOR}/instructionSetArchitecture"
KEPT_HEADERS = ("content-type", "content-encoding", "etag", "vary", "cache-control")


def cases(etag: str) -> list[dict]:
    return [
        {"name": "GetISA Aspen-M-3", "path": ISA_PATH, "headers": {}},
        {"name": "GetISA Aspen-M-3 gzip", "path": ISA_PATH, "headers": {"accept-encoding": "gzip"}},
        {"name": "GetISA Aspen-M-3 304", "path": ISA_PATH, "headers": {"if-none-match": etag}},
        {"name": "ListQuantumProcessors", "path": "/v1/quantumProcessors", "headers": {}},
    ]


def case_key(path: str, headers) -> str:
    gzip = "gzip" in (headers.get("accept-encoding") or "")
    return f"{path}|gzip={gzip}|inm={bool(headers.get('if-none-match'))}"


def bare_app():
    """The baseline (granian factory ``bench.isa_bench:bare_app``): recorded answers, replayed."""
    table = json.loads(Path(os.environ["ISA_BENCH_ANSWERS"]).read_text())
    answers = {k: (v["status"], v["headers"], base64.b64decode(v["body"])) for k, v in table.items()}

    @get("/{path:path}")
    async def answer(request: Request, path: str) -> Response:
        status, headers, body = answers[case_key(request.url.path, request.headers)]
        return Response(body, status_code=status, headers=headers)

    return Litestar([answer], debug=False, logging_config=None)


def record(base_url: str, case: dict) -> dict:
    """openqcs's answer to one case, raw (still gzipped when it was)."""
    with httpx.Client(base_url=base_url) as client, client.stream("GET", case["path"], headers={
            "accept-encoding": "identity", **case["headers"]}) as response:
        body = b"".join(response.iter_raw())
        headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
    return {"status": response.status_code, "headers": headers, "body": base64.b64encode(body).decode()}


def autocannon() -> Path:
    tool = BENCH / "node_modules" / ".bin" / "autocannon"
    if not tool.exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=BENCH, check=True)
    return tool


def load(tool: Path, url: str, headers: dict, *, requests: int, connections: int) -> dict:
    args = [str(tool), "--json", "--amount", str(requests), "--connections", str(connections), "--timeout", "30"]
    for name, value in {"accept-encoding": "identity", **headers}.items():
        args += ["--headers", f"{name}={value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, timeout=600)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    seconds = max(result["duration"], 1e-9)
    return {"rps": result["requests"]["total"] / seconds, "p50": result["latency"]["p50"],
            "p99": result["latency"]["p99"], "total": result["requests"]["total"],
            "non2xx": result["non2xx"], "errors": result["errors"] + result["timeouts"]}


def start_bare(answers: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--no-access-log", "bench.isa_bench:bare_app"],
        cwd=ROOT, env={**os.environ, "ISA_BENCH_ANSWERS": str(answers)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/quantumProcessors", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the bare baseline did not come up")


def run(requests: int, connections: int, database_kind: str, workers: int) -> dict:
    from openqcs.processors.seed import seed_demo
    from tests.support.databases import database
    from tests.support.server import free_port, live_server

    tool = autocannon()
    directory = tempfile.mkdtemp(prefix="isa-bench-")
    results = {"requests": requests, "connections": connections, "database": database_kind, "workers": workers,
               "rows": []}
    with database(database_kind, directory) as url, live_server(
            url, directory, OPENQCS_WORKERS=str(workers), OPENQCS_API_ONLY="true") as server:
        seed_demo(server.ctx)
        etag = httpx.get(server.base_url + ISA_PATH).headers["etag"]
        todo = cases(etag)
        answers = {case_key(c["path"], c["headers"]): record(server.base_url, c) for c in todo}
        answers_file = Path(directory) / "answers.json"
        answers_file.write_text(json.dumps(answers))
        bare = start_bare(answers_file, free_port())
        bare_url = bare.args[bare.args.index("--port") + 1]
        try:
            for case in todo:
                row = {"case": case["name"], "bytes": len(base64.b64decode(answers[case_key(case["path"],
                                                                                           case["headers"])]["body"]))}
                for target, base in (("openqcs", server.base_url), ("bare", f"http://127.0.0.1:{bare_url}")):
                    load(tool, base + case["path"], case["headers"], requests=min(200, requests),
                         connections=connections)  # warm-up
                    row[target] = load(tool, base + case["path"], case["headers"], requests=requests,
                                       connections=connections)
                results["rows"].append(row)
        finally:
            bare.terminate()
            bare.wait(10)
    return results


def table(results: dict) -> str:
    lines = [f"ISA bench: {results['requests']} requests/case, {results['connections']} connections, "
             f"{results['database']}, {results['workers']} worker(s), 127.0.0.1",
             f"{'case':26} {'bytes':>7} {'openqcs req/s':>14} {'p50/p99 ms':>11} {'bare req/s':>11} "
             f"{'p50/p99 ms':>11} {'ratio':>6}"]
    for row in results["rows"]:
        o, b = row["openqcs"], row["bare"]
        lines.append(f"{row['case']:26} {row['bytes']:>7} {o['rps']:>14.0f} {o['p50']:>5}/{o['p99']:<5} "
                     f"{b['rps']:>11.0f} {b['p50']:>5}/{b['p99']:<5} {o['rps'] / max(b['rps'], 1e-9):>6.2f}")
        if o["errors"] or b["errors"]:
            lines.append(f"  ! errors: openqcs {o['errors']}, bare {b['errors']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per case and target")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="openqcs HTTP worker processes (bare: 1)")
    args = parser.parse_args(argv)
    results = run(args.requests, args.connections, args.database, args.workers)
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    (out / "isa.json").write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
