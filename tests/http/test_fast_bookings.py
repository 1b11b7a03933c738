"""CreateReservation in front of Litestar (http/fastbook.py, SQLite): a warm caller's booking and
the booking's own refusals (409, 402) are answered as Litestar answers them, everything else is
Litestar's, and nothing is booked or charged twice when a request is handed on (a bad body, a
stranger's account, the write lock taken)."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from datetime import timedelta

import pytest

from openqcs.identity import service as identity
from openqcs.identity.accounts import Account
from tests.support.bookings import PER_MINUTE, add_maintenance, balance, booker, fund_account, iso, slot
from tests.support.factories import make_processor, make_user

# Headers that differ between any two answers.
_VARYING = {"content-length", "date", "x-request-id"}
# Body fields that differ between two bookings.
_PER_BOOKING = {"id", "startTime", "endTime", "createdTime", "updatedTime", "creationBillingInvoiceItemId"}


def _booking(processor: str, start, minutes: int = 15, **extra) -> dict:
    return {"quantumProcessorId": processor, "startTime": iso(start),
            "endTime": iso(start + timedelta(minutes=minutes)), **extra}


def _served_here(server) -> float:
    """How many CreateReservations the server answered in front of Litestar so far."""
    return _metric(server, r'openqcs_http_fast_answers_total\{operation="CreateReservation"\}')


def _metric(server, series: str) -> float:
    text = server.raw_client().get("/metrics").text
    found = re.search(series + r" (\S+)", text)
    return float(found.group(1)) if found else 0.0


_BOOKED = r'openqcs_http_requests_total\{method="POST",operation="CreateReservation",status="201"\}'


def _bookings_of(server, token: str) -> list[dict]:
    with server.client(token) as client:
        listed = client.get("/v1/reservations", params={"showDeleted": "true"})
    assert listed.status_code == 200, listed.text
    return listed.json()["reservations"]


def test_a_warm_booking_is_answered_as_litestar_answers_it(server):
    ctx = server.ctx
    processor, user, account = booker(ctx, 10_000)
    start = slot(ctx, days=3)
    served, booked = _served_here(server), _metric(server, _BOOKED)
    with server.client(user.token) as client:
        # A token and processor view not seen before: Litestar verifies, looks up and books.
        first = client.post("/v1/reservations", json=_booking(processor, start, 30, notes="first"))
        # Both known now: booked in front of Litestar.
        second = client.post("/v1/reservations", json=_booking(processor, start + timedelta(hours=1), 30,
                                                               notes="second"))
        stored = client.get(f"/v1/reservations/{second.json()['id']}")
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert _served_here(server) == served + 1, "the second booking was not served by the fast path"
    assert _metric(server, _BOOKED) == booked + 2  # both under the operation's own name

    assert {k: v for k, v in first.headers.items() if k not in _VARYING} == \
        {k: v for k, v in second.headers.items() if k not in _VARYING}
    assert second.headers["content-length"] == str(len(second.content))
    assert second.headers["content-type"] == "application/json"
    one, two = json.loads(first.content), json.loads(second.content)
    assert list(one) == list(two)  # the same fields in the same order
    assert {k: v for k, v in one.items() if k not in _PER_BOOKING | {"notes"}} == \
        {k: v for k, v in two.items() if k not in _PER_BOOKING | {"notes"}}
    assert two["startTime"] == iso(start + timedelta(hours=1)) and two["notes"] == "second"
    assert two["price"] == 30 * PER_MINUTE and two["accountId"] == user.idp_id
    assert two["creationBillingInvoiceItemId"] != one["creationBillingInvoiceItemId"]
    # What was answered is what was stored, and charged once each.
    assert stored.status_code == 200
    assert {k: v for k, v in stored.json().items() if k != "createdTime"} == \
        {k: v for k, v in two.items() if k != "createdTime"}
    assert balance(ctx, account) == 10_000 - 2 * 300
    assert [r["id"] for r in _bookings_of(server, user.token)] == [one["id"], two["id"]]


def _through_litestar(server, user, body: dict):
    """The same request with a token the server has not seen, so Litestar answers it."""
    token, _ = server.ctx.tokens.issue_access_token(subject=user.email, uid=user.idp_id, groups=[])
    with server.client(token) as client:
        return client.post("/v1/reservations", json=body)


def _same_answer(fast, litestar) -> None:
    assert fast.status_code == litestar.status_code
    assert {k: v for k, v in fast.headers.items() if k not in _VARYING} == \
        {k: v for k, v in litestar.headers.items() if k not in _VARYING}
    assert {k: v for k, v in fast.json().items() if k != "requestId"} == \
        {k: v for k, v in litestar.json().items() if k != "requestId"}
    assert fast.json()["requestId"] == fast.headers["x-request-id"]


def test_refusals_of_a_warm_caller_are_litestar_s_and_charge_nothing(server):
    ctx = server.ctx
    processor = make_processor(ctx)
    user, other = make_user(ctx, groups=("fast-team",)), make_user(ctx)
    account = Account(user.idp_id, "user")
    fund_account(ctx, account, 1_000)
    start = slot(ctx, days=4)
    add_maintenance(ctx, processor, start + timedelta(hours=30), start + timedelta(hours=30, minutes=20))
    with server.client(user.token) as client, server.client(other.token) as stranger:
        assert client.post("/v1/reservations", json=_booking(processor, start)).status_code == 201  # warm
        served = _served_here(server)

        # Refused by the booking itself (rolled back): answered in front of Litestar, in its words.
        overlapping = _booking(processor, start + timedelta(minutes=-15), 30)
        overlap = client.post("/v1/reservations", json=overlapping)
        assert overlap.status_code == 409 and overlap.json()["code"] == "reservation_unavailable"
        assert processor in overlap.json()["message"]
        _same_answer(overlap, _through_litestar(server, user, overlapping))
        in_maintenance = _booking(processor, start + timedelta(hours=30, minutes=15))
        maintenance = client.post("/v1/reservations", json=in_maintenance)
        assert maintenance.status_code == 409 and maintenance.json()["code"] == "reservation_unavailable"
        _same_answer(maintenance, _through_litestar(server, user, in_maintenance))
        too_long = _booking(processor, start + timedelta(hours=1), 24 * 60)
        poor = client.post("/v1/reservations", json=too_long)
        assert poor.status_code == 402 and poor.json()["code"] == "insufficient_payment"
        assert "850 available" in poor.json()["message"]
        _same_answer(poor, _through_litestar(server, user, too_long))
        assert _served_here(server) == served + 3
        served = _served_here(server)

        # Everything else is Litestar's to say.
        unaligned = client.post("/v1/reservations", json=_booking(processor, start + timedelta(hours=2, minutes=7)))
        assert unaligned.status_code == 422 and unaligned.json()["code"] == "validation_error"
        assert [p["path"] for p in unaligned.json()["validationErrors"]] == [["startTime"], ["endTime"]]

        missing = client.post("/v1/reservations", json={"quantumProcessorId": processor, "startTime": iso(start)})
        assert missing.status_code == 422 and "endTime" in missing.json()["message"]
        malformed = client.post("/v1/reservations", content=b'{"quantumProcessorId": ',
                                headers={"content-type": "application/json"})
        assert malformed.status_code == 422 and malformed.json()["validationErrors"][0]["in"] == "body"

        not_mine = client.post("/v1/reservations", json=_booking(processor, start + timedelta(hours=3),
                                                                 accountId="other-team", accountType="group"))
        assert not_mine.status_code == 403 and not_mine.json()["code"] == "forbidden"
        # The stranger's first booking warms them; another's account is still refused.
        assert stranger.post("/v1/reservations", json=_booking(processor, start + timedelta(hours=4))
                             ).status_code == 402  # no credit at all
        theirs = stranger.post("/v1/reservations", json=_booking(processor, start + timedelta(hours=4),
                                                                 accountId=user.idp_id))
        assert theirs.status_code == 403

        for refused in (overlap, maintenance, poor, unaligned, missing, malformed, not_mine, theirs):
            assert refused.json()["requestId"] == refused.headers["x-request-id"]
            assert refused.headers["content-type"] == "application/json; charset=utf-8"
    assert _served_here(server) == served
    assert balance(ctx, account) == 1_000 - 150
    assert len(_bookings_of(server, user.token)) == 1


def test_the_account_comes_from_the_body_else_the_headers_else_the_caller(server):
    ctx = server.ctx
    processor = make_processor(ctx)
    member = make_user(ctx, groups=("fast-headers",))
    group = Account("fast-headers", "group")
    fund_account(ctx, group, 10_000)
    start = slot(ctx, days=7)
    as_group = {"X-QCS-ACCOUNT-ID": "fast-headers", "X-QCS-ACCOUNT-TYPE": "group"}
    with server.client(member.token) as client:
        warm = client.post("/v1/reservations", json=_booking(processor, start, accountId="fast-headers",
                                                             accountType="group"))
        assert warm.status_code == 201, warm.text
        served = _served_here(server)
        by_headers = client.post("/v1/reservations", headers=as_group,
                                 json=_booking(processor, start + timedelta(hours=1)))
        assert by_headers.status_code == 201, by_headers.text
        assert (by_headers.json()["accountId"], by_headers.json()["accountType"]) == ("fast-headers", "group")
        assert by_headers.json()["createdByAccountId"] == member.idp_id
        # The body wins over the headers: the member's own account has no credit.
        own = client.post("/v1/reservations", headers=as_group,
                          json=_booking(processor, start + timedelta(hours=2), accountId=member.idp_id,
                                        accountType="user"))
        assert own.status_code == 402, own.text
        # Field by field: the body's id with the headers' type names a group that is not the member's.
        mixed = client.post("/v1/reservations", headers=as_group,
                            json=_booking(processor, start + timedelta(hours=2), accountId=member.idp_id))
        assert mixed.status_code == 403, mixed.text
        robot = client.post("/v1/reservations", headers={"X-QCS-ACCOUNT-ID": "x", "X-QCS-ACCOUNT-TYPE": "robot"},
                            json=_booking(processor, start + timedelta(hours=3)))
        assert robot.status_code == 422 and robot.json()["validationErrors"][0]["in"] == "header"
    assert _served_here(server) == served + 2  # the booking by headers and the 402
    assert balance(ctx, group) == 10_000 - 2 * 150


def test_the_ledger_names_the_booked_time_in_utc(server):
    from sqlalchemy import select

    from openqcs.billing.models import LedgerEntry

    ctx = server.ctx
    processor = make_processor(ctx)
    user = make_user(ctx)
    fund_account(ctx, Account(user.idp_id, "user"), 1_000)
    start = slot(ctx, days=8)
    local = (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+01:00")  # the same instant
    with server.client(user.token) as client:
        booked = [client.post("/v1/reservations", json={
            "quantumProcessorId": processor, "startTime": at, "endTime": iso(begin + timedelta(minutes=15))})
            for at, begin in ((iso(start - timedelta(hours=1)), start - timedelta(hours=1)), (local, start))]
    assert [b.status_code for b in booked] == [201, 201], [b.text for b in booked]
    with ctx.db.session() as session:
        entry = session.scalars(select(LedgerEntry).where(
            LedgerEntry.reference == f"reservation:{booked[1].json()['id']}")).one()
    assert entry.description == (f"Reservation {booked[1].json()['id']} on {processor}, "
                                 f"{start:%Y-%m-%d %H:%M}-{start + timedelta(minutes=15):%H:%M} UTC")
    assert entry.amount_cents == -150


def test_unknown_and_stale_tokens_are_401_through_litestar(server):
    ctx = server.ctx
    processor, user, account = booker(ctx, 1_000)
    start = slot(ctx, days=5)
    with server.client("not-a-token") as client:
        unknown = client.post("/v1/reservations", json=_booking(processor, start))
    assert unknown.status_code == 401 and unknown.json()["code"] == "unauthorized"
    with server.client(user.token) as client:
        assert client.post("/v1/reservations", json=_booking(processor, start)).status_code == 201
    with ctx.db.session(write=True) as session:
        identity.set_disabled(session, ctx.clock, user.email)
    with server.client(user.token) as client:  # its principal was cached: no longer good
        disabled = client.post("/v1/reservations", json=_booking(processor, start + timedelta(hours=1)))
    assert disabled.status_code == 401
    assert balance(ctx, account) == 850


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)  # the write lock is SQLite's
def test_a_booking_that_finds_the_write_lock_taken_is_booked_once_by_litestar(server):
    ctx = server.ctx
    processor, user, account = booker(ctx, 1_000)
    start = slot(ctx, days=6)
    with server.client(user.token) as client:
        assert client.post("/v1/reservations", json=_booking(processor, start)).status_code == 201  # warm
        served = _served_here(server)
        holder = sqlite3.connect(ctx.db.engine.url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        answers: list = []
        waiting = threading.Thread(target=lambda: answers.append(
            client.post("/v1/reservations", json=_booking(processor, start + timedelta(hours=1)))))
        waiting.start()
        try:
            time.sleep(1.0)
            assert not answers, "booked while another writer held the lock"
        finally:
            holder.rollback()
            holder.close()
        waiting.join(30)
    assert answers and answers[0].status_code == 201, answers
    assert _served_here(server) == served  # Busy: handed on, and Litestar waited for the lock
    assert balance(ctx, account) == 1_000 - 2 * 150
    assert len(_bookings_of(server, user.token)) == 2
