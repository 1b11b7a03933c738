"""CreateEngagement: real CURVE credentials, account rules, refusals while unavailable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import zmq
from sqlalchemy import select
from zmq.utils import z85

from openqcs.endpoints.models import Engagement
from tests.support.factories import default_endpoint_id, make_processor, make_user


def engage(client, headers=None, **body):
    return client.post("/v1/engagements", json=body, headers=headers or {})


def test_engagement_on_a_processor_carries_real_curve_keys(server, user, processor):
    default_id = default_endpoint_id(server.ctx, processor)
    with server.client(user.token) as client:
        response = engage(client, quantumProcessorId=processor, tags=["experiment-7"])
        assert response.status_code == 200, response.text
        body = response.json()
        creds = body["credentials"]
        assert zmq.curve_public(creds["clientSecret"].encode()) == creds["clientPublic"].encode()
        assert len(z85.decode(creds["serverPublic"])) == 32
        assert body["endpointId"] == default_id
        assert body["address"] == server.settings.controller_url
        assert body["quantumProcessorIds"] == [processor]
        assert (body["userId"], body["accountId"], body["accountType"]) == (user.idp_id, user.idp_id, "user")
        assert body["tags"] == ["experiment-7"] and body["minimumPriority"] == 0
        expires = datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
        assert server.ctx.clock.now() < expires <= server.ctx.clock.now() + timedelta(hours=1, seconds=5)

        again = engage(client, endpointId=default_id).json()["credentials"]
        assert again["serverPublic"] == creds["serverPublic"]  # the endpoint keeps its keypair
        assert again["clientPublic"] != creds["clientPublic"]

    with server.ctx.db.session() as session:
        record = session.scalar(select(Engagement).where(Engagement.client_public == creds["clientPublic"]))
        assert record is not None and record.endpoint_id == default_id and record.tags == ["experiment-7"]
        assert creds["clientSecret"] not in str(vars(record))  # the secret is handed out, never kept


def test_engagement_names_an_endpoint_or_a_processor(server, user, other_user, processor):
    bare = make_processor(server.ctx, prefix="Ep")
    with server.client(user.token) as client, server.client(other_user.token) as other:
        assert engage(client).status_code == 422
        assert engage(client, endpointId="ep-missing").status_code == 404
        assert engage(client, quantumProcessorId="No-Such-QPU").status_code == 404
        assert engage(client, quantumProcessorId=bare).status_code == 404
        assert engage(client, quantumProcessorId=processor, tags="not-a-list").status_code == 422
        mine = client.post("/v1/endpoints", json={"quantumProcessorIds": [processor]}).json()["id"]
        assert engage(other, endpointId=mine).status_code == 404


def test_engaging_a_starting_endpoint_says_when_to_retry(server, user, processor, clock):
    with server.client(user.token) as client:
        endpoint_id = client.post("/v1/endpoints", json={"quantumProcessorIds": [processor]}).json()["id"]
        response = engage(client, endpointId=endpoint_id)
        assert response.status_code == 503 and 1 <= int(response.headers["retry-after"]) <= 2
        clock(3)
        assert engage(client, endpointId=endpoint_id).status_code == 200


def test_engagement_accounts_follow_group_membership(server, processor):
    member = make_user(server.ctx, groups=("ep-team",))
    outsider_group = make_user(server.ctx, groups=("ep-elsewhere",))
    with server.client(member.token) as client:
        as_group = engage(client, {"X-QCS-ACCOUNT-ID": "ep-team", "X-QCS-ACCOUNT-TYPE": "group"},
                          quantumProcessorId=processor)
        assert as_group.status_code == 200, as_group.text
        assert (as_group.json()["accountId"], as_group.json()["accountType"]) == ("ep-team", "group")
        in_body = engage(client, quantumProcessorId=processor, accountId="ep-team", accountType="group")
        assert in_body.json()["accountType"] == "group"

        assert engage(client, quantumProcessorId=processor, accountId="ep-elsewhere",
                      accountType="group").status_code == 403
        assert engage(client, quantumProcessorId=processor, accountId=outsider_group.idp_id,
                      accountType="user").status_code == 403
        # The body wins over the headers.
        body_wins = engage(client, {"X-QCS-ACCOUNT-ID": "ep-elsewhere", "X-QCS-ACCOUNT-TYPE": "group"},
                           quantumProcessorId=processor, accountId=member.idp_id, accountType="user")
        assert body_wins.status_code == 200 and body_wins.json()["accountType"] == "user"
        assert engage(client, {"X-QCS-ACCOUNT-ID": "ep-team", "X-QCS-ACCOUNT-TYPE": "team"},
                      quantumProcessorId=processor).status_code == 422


def test_another_accounts_reservation_refuses_engagement_until_it_ends(server, user, other_user, processor):
    from openqcs.reservations.models import Reservation

    now = server.ctx.clock.now().replace(microsecond=0)
    end = now + timedelta(minutes=10)
    with server.ctx.db.session(write=True) as session:
        session.add(Reservation(processor_id=processor, account_type="user", account_id=other_user.idp_id,
                                created_by_type="user", created_by_id=other_user.idp_id,
                                start_time=now - timedelta(minutes=5), end_time=end, price=0, notes="",
                                cancelled=False, created_time=now, updated_time=now))
    with server.client(user.token) as client, server.client(other_user.token) as holder:
        refused = engage(client, quantumProcessorId=processor)
        assert refused.status_code == 503
        wait = int(refused.headers["retry-after"])
        assert 500 <= wait <= 601, wait
        assert engage(holder, quantumProcessorId=processor).status_code == 200
        # Another processor is not affected.
        assert engage(client, quantumProcessorId=make_processor(server.ctx, prefix="Ep", default_endpoint=True)).status_code == 200
    assert datetime.now(UTC) < end
