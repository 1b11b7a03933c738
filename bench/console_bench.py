"""Console benchmark: server time per page (sequential requests, median and p90) for the main
console pages of a real ``openqcs serve``, beside the API call that serves the same data
(the Aspen-M-3 ISA as JSON), measured side by side in one run.

    python -m bench console                  # or: python bench/console_bench.py [--requests 200]

Prints a table with each page's ratio to the API call; writes bench/results/console.json.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openqcs.domains import submodules  # noqa: E402
from tests.support.server import live_server  # noqa: E402

PAGES = ["/console/processors/Aspen-M-3", "/console/processors", "/console/reservations", "/console/billing",
         "/console/jobs", "/console/token"]


def signed_in(base_url: str, email: str, password: str) -> httpx.Client:
    """A client holding a console session, signed in through the real authorization-code flow."""
    client = httpx.Client(base_url=base_url, timeout=30)
    page = client.get("/console/signin", follow_redirects=True)
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    form.update({"_csrf": csrf, "email": email, "password": password})
    done = client.post(str(page.url.copy_with(query=None)), data=form, follow_redirects=True)
    assert done.status_code == 200 and "Welcome" in done.text, done.text[:500]
    return client


def timings(client: httpx.Client, path: str, n: int, headers: dict | None = None) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        out.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as directory, \
            live_server(f"sqlite:///{directory}/openqcs.db", directory, OPENQCS_API_ONLY="true") as server:
        for module in submodules("seed"):
            module.seed_demo(server.ctx)
        client = signed_in(server.base_url, "demo@openqcs.local", "openqcs-demo")
        token = re.search(r'id="access-token"[^>]*>([^<]+)<', client.get("/console/token").text).group(1)
        api = {"authorization": f"Bearer {token}"}
        rows = {"API GetInstructionSetArchitecture": timings(
            client, "/v1/quantumProcessors/Aspen-M-3/instructionSetArchitecture", args.requests, api)}
        for path in PAGES:
            rows[path] = timings(client, path, args.requests)
    base = statistics.median(rows["API GetInstructionSetArchitecture"])
    results = {}
    print(f"{'request':45} {'median ms':>10} {'p90 ms':>8} {'x API':>7}")
    for name, values in rows.items():
        median, p90 = statistics.median(values), values[int(len(values) * 0.9)]
        results[name] = {"median_ms": round(median * 1000, 2), "p90_ms": round(p90 * 1000, 2),
                         "ratio_to_api": round(median / base, 2)}
        print(f"{name:45} {median * 1000:10.2f} {p90 * 1000:8.2f} {median / base:7.2f}")
    out = ROOT / "bench" / "results" / "console.json"
    out.write_text(json.dumps({"requests": args.requests, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
