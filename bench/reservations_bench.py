"""CreateReservation throughput and CPU per booking beside a bare framework POST, in one run.

    python -m bench reservations [-- --seconds 3 --connections 16 --history 20000]

For each database (SQLite, PostgreSQL) it starts ``openqcs serve --api-only`` and a bare
Litestar app on granian that answers the same POST with the same bytes, both on 127.0.0.1,
and drives them with autocannon (bench/load.js), bounded in time. Every case books a
processor of its own, so no case inherits another's bookings:

- ``distinct``: every request books a fresh 15-minute slot (201: overlap check, price, ledger
  debit, insert, commit), with 0 or ``--history`` live bookings already on the processor, from
  one account or from many (a token per request, round robin);
- ``contended``: every request asks for one slot that is already taken (409 from the check).

Afterwards it checks the books: one reservation per 201 and balances that are exactly the
credit minus their prices. ``main()`` prints CPU µs per request of the server's process tree,
req/s, p50/p99 and the ratio to the bare POST; results go to bench/results/reservations.json.
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


ACCOUNTS = 16  # "many accounts": one funded user per connection


def _count_of(ctx, processor: str):
    from sqlalchemy import func, select

    from openqcs.reservations.models import Reservation

    def count() -> int:
        with ctx.db.session() as session:
            return session.scalar(select(func.count()).select_from(Reservation)
                                  .where(Reservation.processor_id == processor))

    return count


def add_history(ctx, processor: str, count: int, before) -> None:
    """``count`` live 15-minute bookings ending at ``before``, inserted in bulk (through the
    overlap trigger on SQLite and the exclusion constraint on PostgreSQL)."""
    from sqlalchemy import insert

    from openqcs.reservations.models import Reservation

    now = ctx.clock.now()
    rows = [{"processor_id": processor, "account_type": "user", "account_id": "history", "created_by_type": "user",
             "created_by_id": "history", "start_time": before - timedelta(minutes=15 * (i + 1)),
             "end_time": before - timedelta(minutes=15 * i), "price": 0, "notes": "", "cancelled": False,
             "created_time": now, "updated_time": now} for i in range(count)]
    with ctx.db.session(write=True) as session:
        for at in range(0, len(rows), 5000):
            session.execute(insert(Reservation), rows[at:at + 5000])
    if ctx.db.is_sqlite:  # else the server's first commits pay for copying this bulk insert out of the WAL
        with ctx.db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def prepare(server, *, accounts: int, history: int) -> dict:
    """A fresh processor with ``history`` bookings, funded users, one booked slot."""
    from openqcs.identity.accounts import Account
    from tests.support.bookings import fund_account, iso, slot
    from tests.support.factories import make_processor, make_user

    ctx = server.ctx
    processor = make_processor(ctx)
    users = [make_user(ctx) for _ in range(accounts)]
    for user in users:
        fund_account(ctx, Account(user.idp_id, "user"), CREDIT)
    taken = slot(ctx, days=1)
    add_history(ctx, processor, history, taken)
    auth = {"authorization": f"Bearer {users[0].token}", "content-type": "application/json"}
    body = {"quantumProcessorId": processor, "startTime": iso(taken), "endTime": iso(taken + timedelta(minutes=15))}
    first = httpx.post(server.base_url + "/v1/reservations", headers=auth, json=body)
    first.raise_for_status()
    conflict = httpx.post(server.base_url + "/v1/reservations", headers=auth, json=body)
    assert conflict.status_code == 409, conflict.text
    return {
        "auth": auth, "accounts": [Account(u.idp_id, "user") for u in users], "count": _count_of(ctx, processor),
        "tokens": [u.token for u in users] if accounts > 1 else None,
        "distinct_body": json.dumps({"quantumProcessorId": processor, "startTime": "{{start}}", "endTime": "{{end}}"}),
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
    stopped), and the ledgers match the stored bookings to the cent."""
    from openqcs.billing import service as billing

    count = -1
    while count != prep["count"]():  # let requests cut off by the end of the run finish
        count = prep["count"]()
        time.sleep(0.5)
    assert before + booked <= count <= before + booked + in_flight, \
        f"{count} reservations stored, {before} + {booked} acknowledged"
    with server.ctx.db.session() as session:
        spent = sum(CREDIT - billing.ledger_sum_cents(session, a) for a in prep["accounts"])
    expected = (count - prep["history"]) * 15 * 10  # 15 minutes at billing's default 10 cents a minute
    assert spent == expected, f"{spent} cents spent, expected {expected}"


CASES = (  # name, status, history?, many accounts?
    ("distinct", "201", False, False),
    ("distinct, history", "201", True, False),
    ("distinct, many accounts", "201", False, True),
    ("distinct, history, many", "201", True, True),
    ("contended", "409", False, False),
)


def run(seconds: float, connections: int, history: int, kinds: tuple[str, ...]) -> dict:
    node_tools()
    results: dict = {"seconds": seconds, "connections": connections, "history": history, "databases": {}}
    for kind in kinds:
        directory = tempfile.mkdtemp()
        with database(kind, directory) as url, \
                live_server(url, directory, OPENQCS_API_ONLY="true", OPENQCS_CLOCK_FILE="") as server:
            rows = {}
            for name, status, with_history, many in CASES:
                prep = prepare(server, accounts=ACCOUNTS if many else 1, history=history if with_history else 0)
                prep["history"] = history if with_history else 0
                body, base = (prep["distinct_body"], prep["slot_base"]) if status == "201" else \
                    (prep["contended_body"], 0)
                before = prep["count"]()
                mine = load(server.base_url + "/v1/reservations", method="POST", headers=prep["auth"],
                            seconds=seconds, connections=connections, body=body, slot_base=base,
                            server_pid=server.process.pid, tokens=prep["tokens"])
                booked = mine["total"] - mine["non2xx"] - mine["errors"] if status == "201" else 0
                check_books(server, prep, before, booked, connections if status == "201" else 0)
                bare, bare_url = start_bare(bare_table(prep["answers"], status))
                try:
                    baseline = load(bare_url + "/v1/reservations", method="POST", headers=prep["auth"],
                                    seconds=seconds, connections=connections, body=body, slot_base=base,
                                    server_pid=bare.pid)
                finally:
                    bare.terminate()
                    bare.wait(10)
                rows[name] = {"openqcs": mine, "bare": baseline,
                              "ratio": round(mine["rps"] / baseline["rps"], 4) if baseline["rps"] else None}
            results["databases"][kind] = rows
    return results


def table(results: dict) -> str:
    lines = [f"CreateReservation vs bare POST ({results['seconds']} s, {results['connections']} connections, "
             f"history = {results['history']} live bookings on the processor; CPU µs per request of each "
             "server's process tree)",
             f"{'database':9} {'case':25} {'openqcs µs':>11} {'req/s':>7} {'p50/p99 ms':>11} {'bare µs':>8} "
             f"{'bare req/s':>11} {'req/s ratio':>11}"]
    for kind, rows in results["databases"].items():
        for name, row in rows.items():
            o, b = row["openqcs"], row["bare"]
            lines.append(f"{kind:9} {name:25} {o['cpu_us']:>11.0f} {o['rps']:7.0f} {o['p50']:>5}/{o['p99']:<5} "
                         f"{b['cpu_us']:8.0f} {b['rps']:11.0f} {row['ratio']:11.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--history", type=int, default=20_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    results = run(min(args.seconds, 30.0), min(args.connections, 64), max(0, min(args.history, 200_000)),
                  tuple(args.databases.split(",")))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "reservations.json").write_text(json.dumps(results, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
