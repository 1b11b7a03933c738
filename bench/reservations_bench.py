"""CreateReservation throughput beside a bare framework POST, measured in one run.

    python -m bench reservations [-- --seconds 3 --connections 16]

For each database (SQLite, PostgreSQL) it starts ``openqcs serve --api-only`` and a bare
Litestar app on granian that answers the same POST with the same bytes, both on 127.0.0.1,
and drives them with autocannon (bench/load.js), bounded in time:

- ``distinct``: every request books a fresh 15-minute slot (201: overlap check, price, ledger
  debit, insert, commit);
- ``contended``: every request asks for one slot that is already taken (409 from the check).

Afterwards it checks the books: one reservation per 201 and a balance that is exactly the
credit minus their prices. ``main()`` prints req/s, p50/p99 and the ratio to the bare POST;
results go to bench/results/reservations.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_bench import load, node_tools, start_bare  # noqa: E402
from tests.support.databases import database  # noqa: E402
from tests.support.server import live_server  # noqa: E402

CREDIT = 10**12


def prepare(server) -> dict:
    """A processor, a funded user, one booked slot; returns what the load runs need."""
    from sqlalchemy import func, select

    from openqcs.identity.accounts import Account
    from openqcs.reservations.models import Reservation
    from tests.reservations.conftest import fund, iso, make_processor, slot
    from tests.support.factories import make_user

    ctx = server.ctx
    processor = make_processor(ctx)
    user = make_user(ctx)
    fund(ctx, Account(user.idp_id, "user"), CREDIT)
    auth = {"authorization": f"Bearer {user.token}", "content-type": "application/json"}
    taken = slot(ctx, days=1)
    body = {"quantumProcessorId": processor, "startTime": iso(taken), "endTime": iso(taken + timedelta(minutes=15))}
    first = httpx.post(server.base_url + "/v1/reservations", headers=auth, json=body)
    first.raise_for_status()
    conflict = httpx.post(server.base_url + "/v1/reservations", headers=auth, json=body)
    assert conflict.status_code == 409, conflict.text

    def count() -> int:
        with ctx.db.session() as session:
            return session.scalar(select(func.count()).select_from(Reservation)
                                  .where(Reservation.processor_id == processor))

    return {
        "auth": auth, "account": Account(user.idp_id, "user"), "count": count,
        "distinct_body": '{"quantumProcessorId": "%s", "startTime": "{{start}}", "endTime": "{{end}}"}' % processor,
        "contended_body": json.dumps(body),
        "slot_base": int((taken + timedelta(days=2)).timestamp()),
        "answers": {"201": first.content, "409": conflict.content},
    }


def bare_table(answers: dict[str, bytes], status: str) -> str:
    path = Path(tempfile.mkdtemp()) / "answers.json"
    path.write_text(json.dumps({"POST /v1/reservations": {"status": int(status),
                                                          "body": base64.b64encode(answers[status]).decode()}}))
    return str(path)


def check_books(server, prep: dict, before: int, booked: int, in_flight: int) -> None:
    """Every acknowledged booking is stored (plus at most the requests cut off when the run
    stopped), and the ledger matches the stored bookings to the cent."""
    from openqcs.billing import service as billing

    count = -1
    while count != prep["count"]():  # let requests cut off by the end of the run finish
        count = prep["count"]()
        time.sleep(0.5)
    assert before + booked <= count <= before + booked + in_flight, \
        f"{count} reservations stored, {before} + {booked} acknowledged"
    with server.ctx.db.session() as session:
        left = billing.ledger_sum_cents(session, prep["account"])
    spent = count * 15 * 10  # 15 minutes at billing's default 10 cents a minute
    assert left == CREDIT - spent, f"balance {left}, expected {CREDIT - spent}"


def run(seconds: float, connections: int) -> dict:
    node_tools()
    results: dict = {"seconds": seconds, "connections": connections, "databases": {}}
    for kind in ("sqlite", "postgres"):
        directory = tempfile.mkdtemp()
        with database(kind, directory) as url, live_server(url, directory, OPENQCS_API_ONLY="true") as server:
            prep = prepare(server)
            rows = {}
            for name, status, body, base in (("distinct", "201", prep["distinct_body"], prep["slot_base"]),
                                             ("contended", "409", prep["contended_body"], 0)):
                before = prep["count"]()
                mine = load(server.base_url + "/v1/reservations", method="POST", headers=prep["auth"],
                            seconds=seconds, connections=connections, body=body, slot_base=base)
                booked = mine["total"] - mine["non2xx"] - mine["errors"] if status == "201" else 0
                check_books(server, prep, before, booked, connections if status == "201" else 0)
                bare, bare_url = start_bare(bare_table(prep["answers"], status))
                try:
                    baseline = load(bare_url + "/v1/reservations", method="POST", headers=prep["auth"],
                                    seconds=seconds, connections=connections, body=body, slot_base=base)
                finally:
                    bare.terminate()
                    bare.wait(10)
                rows[name] = {"openqcs": mine, "bare": baseline,
                              "ratio": round(mine["rps"] / baseline["rps"], 4) if baseline["rps"] else None}
            results["databases"][kind] = rows
    return results


def table(results: dict) -> str:
    lines = [f"CreateReservation vs bare POST ({results['seconds']} s, {results['connections']} connections)",
             f"{'database':9} {'case':10} {'openqcs req/s':>14} {'p50/p99 ms':>11} {'bare req/s':>11} {'ratio':>7}"]
    for kind, rows in results["databases"].items():
        for name, row in rows.items():
            o, b = row["openqcs"], row["bare"]
            lines.append(f"{kind:9} {name:10} {o['rps']:14.1f} {o['p50']:>5}/{o['p99']:<5} {b['rps']:11.1f} "
                         f"{row['ratio']:7.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    results = run(min(args.seconds, 30.0), min(args.connections, 64))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "reservations.json").write_text(json.dumps(results, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
