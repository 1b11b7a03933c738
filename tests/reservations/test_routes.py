"""Reservation operations against a live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import icalendar

from openqcs.identity.accounts import Account
from tests.support.bookings import PER_MINUTE, add_maintenance, balance, fund_account, iso, slot
from tests.support.factories import make_processor, make_user
from tests.support.server import OPENQCS


def book(client, processor: str, start, minutes: int = 15, **extra):
    body = {"quantumProcessorId": processor, "startTime": iso(start),
            "endTime": iso(start + timedelta(minutes=minutes)), **extra}
    return client.post("/v1/reservations", json=body)


def test_create_get_and_cancel_with_full_refund(server, user, processor):
    account = Account(user.idp_id, "user")
    fund_account(server.ctx, account, 10_000)
    start = slot(server.ctx, days=3)
    with server.client(user.token) as client:
        created = book(client, processor, start, 60, notes="calibration run")
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["accountId"] == user.idp_id and body["accountType"] == "user"
        assert body["price"] == 60 * PER_MINUTE
        assert body["cancelled"] is False and body["notes"] == "calibration run"
        assert body["creationBillingInvoiceItemId"]
        assert balance(server.ctx, account) == 10_000 - 600

        got = client.get(f"/v1/reservations/{body['id']}")
        assert got.status_code == 200 and got.json()["startTime"] == iso(start)

        cancelled = client.delete(f"/v1/reservations/{body['id']}")
        assert cancelled.status_code == 200
        assert cancelled.json()["cancelled"] is True
        assert cancelled.json()["cancellationBillingInvoiceItemId"]
        assert balance(server.ctx, account) == 10_000
        # Cancelling again changes nothing (no second refund).
        again = client.delete(f"/v1/reservations/{body['id']}")
        assert again.status_code == 200 and balance(server.ctx, account) == 10_000
        # The record stays, and the slot is free again.
        assert client.get(f"/v1/reservations/{body['id']}").json()["cancelled"] is True
        assert book(client, processor, start, 60).status_code == 201


def test_late_cancellation_refunds_half_and_none_after_start(server, user, processor):
    account = Account(user.idp_id, "user")
    fund_account(server.ctx, account, 1_000)
    with server.client(user.token) as client:
        soon = book(client, processor, slot(server.ctx, days=0.25), 15).json()  # ~6 h ahead
        assert balance(server.ctx, account) == 850
        late = client.delete(f"/v1/reservations/{soon['id']}").json()
        assert late["cancelled"] is True
        assert balance(server.ctx, account) == 850 + 75

        started = book(client, processor, slot(server.ctx, days=0, minutes=30), 15).json()
        server.move_clock(45 * 60)  # now inside the reservation
        try:
            after = client.delete(f"/v1/reservations/{started['id']}").json()
        finally:
            server.move_clock(0)
        assert after["cancelled"] is True and "cancellationBillingInvoiceItemId" not in after
        assert balance(server.ctx, account) == 850 + 75 - 150


def test_overlap_is_409_and_adjacent_slots_are_fine(server, user, other_user, processor):
    fund_account(server.ctx, Account(user.idp_id, "user"), 10_000)
    fund_account(server.ctx, Account(other_user.idp_id, "user"), 10_000)
    start = slot(server.ctx, days=4)
    with server.client(user.token) as mine, server.client(other_user.token) as theirs:
        assert book(mine, processor, start, 60).status_code == 201
        clash = book(theirs, processor, start + timedelta(minutes=45), 30)
        assert clash.status_code == 409 and clash.json()["code"] == "reservation_unavailable"
        assert book(theirs, processor, start + timedelta(minutes=60), 15).status_code == 201
        assert book(theirs, processor, start - timedelta(minutes=15), 15).status_code == 201
    assert balance(server.ctx, Account(other_user.idp_id, "user")) == 10_000 - 300


def test_insufficient_balance_is_402_and_nothing_is_booked(server, user, processor):
    account = Account(user.idp_id, "user")
    fund_account(server.ctx, account, 100)
    start = slot(server.ctx, days=2)
    with server.client(user.token) as client:
        poor = book(client, processor, start, 15)
        assert poor.status_code == 402 and poor.json()["code"] == "insufficient_payment"
        listed = client.get("/v1/reservations", params={"showDeleted": "true"}).json()
        assert listed["reservations"] == []
    assert balance(server.ctx, account) == 100


def test_bad_slots_are_422(server, user, processor):
    fund_account(server.ctx, Account(user.idp_id, "user"), 100_000)
    start = slot(server.ctx, days=2)
    with server.client(user.token) as client:
        cases = [
            (start + timedelta(minutes=7), 15, "startTime"),  # not aligned
            (start, 0, "endTime"),  # empty
            (start, -15, "endTime"),  # backwards
            (start, 25 * 60, "endTime"),  # longer than the 24 h default
            (slot(server.ctx, days=-1), 15, "startTime"),  # past
        ]
        for begin, minutes, field in cases:
            response = book(client, processor, begin, minutes)
            assert response.status_code == 422, (begin, minutes, response.text)
            assert field in [p["path"][0] for p in response.json()["validationErrors"]]
        naive = client.post("/v1/reservations", json={"quantumProcessorId": processor,
                                                     "startTime": iso(start)[:-1], "endTime": iso(start)[:-1]})
        assert naive.status_code == 422
        unknown = book(client, processor + "-nope", start, 15)
        assert unknown.status_code == 422
        assert book(client, processor, start, 15, accountType="robot").status_code == 422


def test_accounts_from_body_or_headers_and_403_for_others(server, processor):
    ctx = server.ctx
    member = make_user(ctx, groups=("res-team",))
    outsider = make_user(ctx)
    fund_account(ctx, Account("res-team", "group"), 10_000)
    fund_account(ctx, Account(outsider.idp_id, "user"), 10_000)
    start = slot(ctx, days=5)
    with server.client(member.token) as client:
        by_body = book(client, processor, start, 15, accountId="res-team", accountType="group")
        assert by_body.status_code == 201 and by_body.json()["accountType"] == "group"
        assert by_body.json()["createdByAccountId"] == member.idp_id
        by_header = client.post("/v1/reservations", headers={"X-QCS-ACCOUNT-ID": "res-team",
                                                             "X-QCS-ACCOUNT-TYPE": "group"},
                                json={"quantumProcessorId": processor, "startTime": iso(start + timedelta(minutes=15)),
                                      "endTime": iso(start + timedelta(minutes=30))})
        assert by_header.status_code == 201 and by_header.json()["accountId"] == "res-team"
        group_list = client.get("/v1/groups/res-team/reservations").json()
        assert {r["id"] for r in group_list["reservations"]} == {by_body.json()["id"], by_header.json()["id"]}
        assert client.get("/v1/reservations").json()["reservations"] == []  # the user's own list
    assert balance(ctx, Account("res-team", "group")) == 10_000 - 300

    with server.client(outsider.token) as client:
        assert book(client, processor, start + timedelta(hours=1), 15, accountId="res-team",
                    accountType="group").status_code == 403
        assert book(client, processor, start + timedelta(hours=1), 15, accountId=member.idp_id).status_code == 403
        assert client.get(f"/v1/reservations/{by_body.json()['id']}").status_code == 403
        assert client.delete(f"/v1/reservations/{by_body.json()['id']}").status_code == 403
        assert client.get("/v1/groups/res-team/reservations").status_code == 403
        assert client.get("/v1/reservations", headers={"X-QCS-ACCOUNT-ID": member.idp_id}).status_code == 403
        assert client.get("/v1/reservations/999999999").status_code == 404
        assert client.get("/v1/reservations/not-a-number").status_code == 404
    assert balance(ctx, Account(outsider.idp_id, "user")) == 10_000
    with server.client() as anonymous:
        assert anonymous.get("/v1/reservations").status_code == 401


def test_list_filter_order_pages_and_show_deleted(server, user, processor):
    fund_account(server.ctx, Account(user.idp_id, "user"), 100_000)
    other = make_processor(server.ctx)
    start = slot(server.ctx, days=6)
    with server.client(user.token) as client:
        ids = [book(client, processor, start + timedelta(hours=i), 15 * (i + 1)).json()["id"] for i in range(4)]
        on_other = book(client, other, start, 15).json()["id"]
        client.delete(f"/v1/reservations/{ids[0]}")

        listed = client.get("/v1/reservations").json()
        # Default order: startTime; the cancelled one is hidden.
        assert [r["id"] for r in listed["reservations"]] == [on_other, *ids[1:]]
        assert listed["nextPageToken"] == ""
        with_deleted = client.get("/v1/reservations", params={"showDeleted": "true"}).json()
        assert ids[0] in [r["id"] for r in with_deleted["reservations"]]

        by_price = client.get("/v1/reservations", params={"filter": "price >= 450", "order": "price desc"}).json()
        assert [r["id"] for r in by_price["reservations"]] == [ids[3], ids[2]]
        by_processor = client.get("/v1/reservations", params={"filter": f'quantumProcessorId == "{other}"'}).json()
        assert [r["id"] for r in by_processor["reservations"]] == [on_other]
        cancelled = client.get("/v1/reservations", params={"filter": "cancelled == true"}).json()
        assert [r["id"] for r in cancelled["reservations"]] == [ids[0]]
        later = client.get("/v1/reservations", params={"filter": f'startTime >= d"{iso(start + timedelta(hours=2))}"',
                                                       "order": "startTime"}).json()
        assert [r["id"] for r in later["reservations"]] == [ids[2], ids[3]]

        first = client.get("/v1/reservations", params={"pageSize": 2, "order": "startTime desc"}).json()
        assert len(first["reservations"]) == 2 and first["nextPageToken"]
        second = client.get("/v1/reservations", params={"pageSize": 2, "order": "startTime desc",
                                                        "pageToken": first["nextPageToken"]}).json()
        seen = [r["id"] for r in first["reservations"] + second["reservations"]]
        assert sorted(seen) == sorted([on_other, *ids[1:]]) and second["nextPageToken"] == ""

        assert client.get("/v1/reservations", params={"filter": "color == 1"}).status_code == 422
        assert client.get("/v1/reservations", params={"order": "notes"}).status_code == 422


def test_find_available_skips_bookings_and_maintenance(server, user, processor):
    fund_account(server.ctx, Account(user.idp_id, "user"), 100_000)
    start = slot(server.ctx, days=2)
    subprocess.run([OPENQCS, "admin", "maintenance", "add", "--processor", processor, "--start",
                    iso(start + timedelta(hours=1)), "--end", iso(start + timedelta(hours=2))],
                   env=server.env, check=True, capture_output=True)
    with server.client(user.token) as client:
        assert book(client, processor, start + timedelta(minutes=30), 15).status_code == 201
        blocked = book(client, processor, start + timedelta(hours=1, minutes=30), 15)
        assert blocked.status_code == 409 and blocked.json()["code"] == "reservation_unavailable"

        found = client.get("/v1/reservations:findAvailable", params={
            "quantumProcessorId": processor, "startTimeFrom": iso(start), "duration": "30m", "pageSize": 5})
        assert found.status_code == 200, found.text
        windows = [(w["startTime"], w["endTime"]) for w in found.json()["availableReservations"]]
        t = lambda m: iso(start + timedelta(minutes=m))  # noqa: E731
        # [15, 45) meets the booking at [30, 45); [45, 75) .. [105, 135) meet maintenance [60, 120).
        assert windows == [(t(0), t(30)), (t(120), t(150)), (t(135), t(165)), (t(150), t(180)), (t(165), t(195))]
        first = found.json()["availableReservations"][0]
        assert first["price"] == 30 * PER_MINUTE and first["duration"] == "30m0s"
        assert first["quantumProcessorId"] == processor
        more = client.get("/v1/reservations:findAvailable", params={
            "quantumProcessorId": processor, "startTimeFrom": iso(start), "duration": "30m", "pageSize": 5,
            "pageToken": found.json()["nextPageToken"]})
        assert more.json()["availableReservations"][0]["startTime"] == t(180)

        for bad in ("", "30", "1x", "-15m", "10m", "h1", "1h30"):
            response = client.get("/v1/reservations:findAvailable", params={
                "quantumProcessorId": processor, "startTimeFrom": iso(start), "duration": bad})
            assert response.status_code == 422, bad
        assert client.get("/v1/reservations:findAvailable", params={
            "quantumProcessorId": processor, "startTimeFrom": "tomorrow", "duration": "1h"}).status_code == 422
        assert client.get("/v1/reservations:findAvailable", params={
            "startTimeFrom": iso(start), "duration": "1h"}).status_code == 422
        too_long = client.get("/v1/reservations:findAvailable", params={
            "quantumProcessorId": processor, "startTimeFrom": iso(start), "duration": "24h15m"})
        assert too_long.status_code == 422 and too_long.json()["validationErrors"][0]["path"] == ["duration"]
        ok = client.get("/v1/reservations:findAvailable", params={
            "quantumProcessorId": processor, "startTimeFrom": iso(start), "duration": "1h15m"})
        assert ok.status_code == 200 and ok.json()["availableReservations"][0]["duration"] == "1h15m0s"


def test_calendar_lists_maintenance_and_bookings_as_ical(server, user, processor):
    fund_account(server.ctx, Account(user.idp_id, "user"), 100_000)
    start = slot(server.ctx, days=3)
    add_maintenance(server.ctx, processor, start, start + timedelta(hours=3), "Fridge warm-up")
    with server.client(user.token) as client:
        booked = book(client, processor, start + timedelta(hours=4), 30).json()
        response = client.get(f"/v1/calendars/{processor}")
        assert response.status_code == 200
        cal = icalendar.Calendar.from_ical(response.json()["maintenanceICal"])
        events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
        assert set(events) == {"Fridge warm-up", "Reserved"}
        assert events["Fridge warm-up"].decoded("dtstart") == start
        assert events["Fridge warm-up"].decoded("dtend") == start + timedelta(hours=3)
        assert events["Reserved"].decoded("dtstart") == start + timedelta(hours=4)
        assert user.idp_id not in response.text
        client.delete(f"/v1/reservations/{booked['id']}")
        cal = icalendar.Calendar.from_ical(client.get(f"/v1/calendars/{processor}").json()["maintenanceICal"])
        assert [str(e["summary"]) for e in cal.walk("VEVENT")] == ["Fridge warm-up"]
        assert client.get("/v1/calendars/No-Such-QPU").status_code == 404


def test_restricted_processor_is_invisible_to_outsiders(server, user):
    hidden = make_processor(server.ctx, public=False)
    fund_account(server.ctx, Account(user.idp_id, "user"), 10_000)
    with server.client(user.token) as client:
        assert client.get(f"/v1/calendars/{hidden}").status_code == 404
        assert book(client, hidden, slot(server.ctx, days=2), 15).status_code == 422
    assert balance(server.ctx, Account(user.idp_id, "user")) == 10_000


def test_admin_books_and_lists_for_any_account(server, admin_user, user, processor):
    fund_account(server.ctx, Account(user.idp_id, "user"), 1_000)
    start = slot(server.ctx, days=3)
    with server.client(admin_user.token) as admin:
        made = book(admin, processor, start, 15, accountId=user.idp_id, accountType="user")
        assert made.status_code == 201
        assert made.json()["accountId"] == user.idp_id and made.json()["createdByAccountId"] == admin_user.idp_id
        listed = admin.get("/v1/reservations", headers={"X-QCS-ACCOUNT-ID": user.idp_id,
                                                        "X-QCS-ACCOUNT-TYPE": "user"}).json()
        assert [r["id"] for r in listed["reservations"]] == [made.json()["id"]]
        nobody = book(admin, processor, start + timedelta(hours=1), 15, accountId="no-such-user")
        assert nobody.status_code == 422 and nobody.json()["validationErrors"][0]["path"] == ["accountId"]
    with server.client(user.token) as client:
        assert [r["id"] for r in client.get("/v1/reservations").json()["reservations"]] == [made.json()["id"]]
    assert balance(server.ctx, Account(user.idp_id, "user")) == 850
