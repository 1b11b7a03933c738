"""Rigetti's qcs-api-client 0.27.x, unmodified, calls every reservation operation."""

from __future__ import annotations

from datetime import timedelta

from openqcs.identity.accounts import Account
from tests.support.bookings import PER_MINUTE, add_maintenance, balance, fund_account, slot
from tests.support.clients import run_client, write_qcs_config
from tests.support.factories import make_user

SCRIPT = """
import json
from datetime import datetime, timedelta
from qcs_api_client.client import build_sync_client
from qcs_api_client.api.reservations import (
    create_reservation, delete_reservation, find_available_reservations, get_quantum_processor_calendar,
    get_reservation, list_group_reservations, list_reservations)
from qcs_api_client.models import AccountType, CreateReservationRequest, ListReservationsShowDeleted
from qcs_api_client.util.errors import QCSHTTPStatusError

start = datetime.fromisoformat("START")
out = {}
with build_sync_client() as client:
    found = find_available_reservations.sync(client=client, quantum_processor_id="QPU", start_time_from=start,
                                             duration="30m", page_size=3).parsed
    out["available"] = [[a.start_time.isoformat(), a.end_time.isoformat(), a.price, a.duration]
                        for a in found.available_reservations]
    first = found.available_reservations[0]
    mine = create_reservation.sync(client=client, body=CreateReservationRequest(
        quantum_processor_id="QPU", start_time=first.start_time, end_time=first.end_time, notes="from the client")).parsed
    out["created"] = [mine.id, mine.account_id, mine.account_type.value, mine.price, mine.notes,
                      bool(mine.creation_billing_invoice_item_id)]
    team = create_reservation.sync(client=client, x_qcs_account_id="TEAMNAME", x_qcs_account_type=AccountType.GROUP,
                                   body=CreateReservationRequest(quantum_processor_id="QPU",
                                   start_time=start + timedelta(hours=5), end_time=start + timedelta(hours=6))).parsed
    out["team"] = [team.account_id, team.account_type.value, team.price]
    try:
        dup = create_reservation.sync(client=client, body=CreateReservationRequest(
            quantum_processor_id="QPU", start_time=first.start_time, end_time=first.end_time))
        out["clash"] = [dup.status_code, dup.parsed.to_dict()]
    except QCSHTTPStatusError as exc:
        out["clash"] = [exc.response.status_code, exc.response.json()["code"]]
    out["got"] = get_reservation.sync(mine.id, client=client).parsed.start_time.isoformat()
    out["listed"] = [r.id for r in list_reservations.sync(client=client).parsed.reservations]
    out["group"] = [r.id for r in list_group_reservations.sync("TEAMNAME", client=client).parsed.reservations]
    gone = delete_reservation.sync(mine.id, client=client).parsed
    out["cancelled"] = [gone.cancelled, bool(gone.cancellation_billing_invoice_item_id)]
    out["after"] = [r.id for r in list_reservations.sync(client=client).parsed.reservations]
    out["deleted"] = [r.id for r in list_reservations.sync(client=client, show_deleted=ListReservationsShowDeleted.TRUE).parsed.reservations]
    out["ical"] = get_quantum_processor_calendar.sync("QPU", client=client).parsed.maintenance_i_cal
print(json.dumps(out))
"""


def test_qcs_api_client_calls_every_reservation_operation(server, processor, tmp_path):
    ctx = server.ctx
    user = make_user(ctx, groups=("client-team",))
    fund_account(ctx, Account(user.idp_id, "user"), 5_000)
    fund_account(ctx, Account("client-team", "group"), 5_000)
    start = slot(ctx, days=2)
    add_maintenance(ctx, processor, start, start + timedelta(hours=1), "Client-visible maintenance")
    env = write_qcs_config(tmp_path / "qcs", api_url=server.base_url, grpc_url=server.settings.grpc_url,
                           issuer=server.settings.issuer, access_token=user.token)
    script = (SCRIPT.replace("START", start.isoformat()).replace("QPU", processor)
              .replace("TEAMNAME", "client-team"))
    out = run_client("api", script, env)

    hour = (start + timedelta(hours=1)).isoformat()
    assert out["available"][0] == [hour, (start + timedelta(hours=1, minutes=30)).isoformat(), 30 * PER_MINUTE, "30m0s"]
    assert len(out["available"]) == 3
    reservation_id, account_id, account_type, price, notes, invoiced = out["created"]
    assert [account_id, account_type, price, notes, invoiced] == [user.idp_id, "user", 300, "from the client", True]
    assert out["team"] == ["client-team", "group", 600]
    assert out["clash"] == [409, "reservation_unavailable"]
    assert out["got"] == hour
    assert out["listed"] == [reservation_id]
    assert out["group"] != [] and reservation_id not in out["group"]
    assert out["cancelled"] == [True, True]
    assert out["after"] == [] and out["deleted"] == [reservation_id]
    assert "Client-visible maintenance" in out["ical"] and "BEGIN:VCALENDAR" in out["ical"]
    assert balance(ctx, Account(user.idp_id, "user")) == 5_000  # cancelled 2 days ahead: full refund
    assert balance(ctx, Account("client-team", "group")) == 5_000 - 600
