"""Rigetti's qcs-api-client 0.27.x, unmodified, calls every endpoint and engagement operation."""

from __future__ import annotations

from datetime import timedelta

import zmq

from openqcs.reservations.models import Reservation
from tests.support.clients import run_client, write_qcs_config
from tests.support.factories import default_endpoint_id, make_processor, make_user

SCRIPT = """
import json
from qcs_api_client.client import build_sync_client
from qcs_api_client.api.endpoints import (
    create_endpoint, delete_endpoint, get_default_endpoint, get_endpoint, list_endpoints, restart_endpoint)
from qcs_api_client.api.engagements import create_engagement
from qcs_api_client.models import (
    AccountType, CreateEndpointParameters, CreateEngagementRequest, NomadJobDatacenters, RestartEndpointRequest)
from qcs_api_client.util.errors import QCSHTTPStatusError

def status(call):
    try:
        return call().status_code
    except QCSHTTPStatusError as exc:
        return exc.response.status_code

out = {}
with build_sync_client() as client:
    default = get_default_endpoint.sync("@QPU@", client=client).parsed
    out["default"] = [default.id, default.addresses.grpc, default.healthy, default.quantum_processor_ids]
    made = create_endpoint.sync(client=client, body=CreateEndpointParameters(
        quantum_processor_ids=["@QPU@"], datacenters=[NomadJobDatacenters.FREMONT_FAB])).parsed
    out["created"] = [made.id, made.healthy, made.datacenter, made.quantum_processor_ids]
    out["got"] = get_endpoint.sync(made.id, client=client).parsed.id
    ids, token = [], None
    while True:
        kwargs = {"page_token": token} if token else {}
        page = list_endpoints.sync(client=client, filter_="'@QPU@' in quantumProcessorIds", page_size=1,
                                   **kwargs).parsed
        ids += [e.id for e in page.endpoints]
        token = page.next_page_token if isinstance(page.next_page_token, str) else None
        if not token:
            break
    out["listed"] = ids
    out["bad_filter"] = status(lambda: list_endpoints.sync(client=client, filter_="nosuch == 1"))
    out["restart"] = restart_endpoint.sync(made.id, client=client).status_code
    component = RestartEndpointRequest(component_name="controller")
    out["restart_component"] = restart_endpoint.sync(made.id, client=client, body=component).status_code
    engagement = create_engagement.sync(client=client, body=CreateEngagementRequest(
        quantum_processor_id="@QPU@", tags=["from-api-client"])).parsed
    out["engagement"] = [engagement.endpoint_id, engagement.address, engagement.user_id, engagement.account_id,
                         str(engagement.account_type), engagement.tags, engagement.expires_at,
                         engagement.credentials.client_public, engagement.credentials.client_secret,
                         engagement.credentials.server_public]
    as_group = create_engagement.sync(client=client, body=CreateEngagementRequest(endpoint_id=default.id),
                                      x_qcs_account_id="@GROUP@", x_qcs_account_type=AccountType.GROUP).parsed
    out["as_group"] = [as_group.account_id, str(as_group.account_type)]
    out["foreign_group"] = status(lambda: create_engagement.sync(
        client=client, body=CreateEngagementRequest(quantum_processor_id="@QPU@", account_id="not-my-group",
                                                    account_type=AccountType.GROUP)))
    out["reserved"] = status(lambda: create_engagement.sync(
        client=client, body=CreateEngagementRequest(quantum_processor_id="@RESERVED@")))
    out["delete"] = delete_endpoint.sync(made.id, client=client).status_code
    out["after_delete"] = status(lambda: get_endpoint.sync(made.id, client=client))
print(json.dumps(out))
"""


def test_qcs_api_client_calls_every_endpoint_operation(server, other_user, tmp_path):
    user = make_user(server.ctx, groups=("api-client-team",))
    processor, reserved = (make_processor(server.ctx, prefix="Ep", default_endpoint=True) for _ in range(2))
    now = server.ctx.clock.now()
    with server.ctx.db.session(write=True) as session:
        session.add(Reservation(processor_id=reserved, account_type="user", account_id=other_user.idp_id,
                                created_by_type="user", created_by_id=other_user.idp_id, start_time=now,
                                end_time=now + timedelta(hours=1), price=0, notes="", cancelled=False,
                                created_time=now, updated_time=now))
    env = write_qcs_config(tmp_path / "qcs", api_url=server.base_url, grpc_url=server.settings.grpc_url,
                           issuer=server.settings.issuer, access_token=user.token)
    script = SCRIPT.replace("@QPU@", processor).replace("@RESERVED@", reserved).replace("@GROUP@", "api-client-team")
    out = run_client("api", script, env)

    default_id = default_endpoint_id(server.ctx, processor)
    assert out["default"] == [default_id, server.settings.controller_url, True, [processor]]
    made_id = out["created"][0]
    assert out["created"][1:] == [False, "fremont-fab", [processor]]
    assert out["got"] == made_id
    assert sorted(out["listed"]) == sorted([default_id, made_id])
    assert out["bad_filter"] == 422
    assert out["restart"] == out["restart_component"] == 204
    endpoint_id, address, user_id, account_id, account_type, tags, expires_at, public, secret, server_public = \
        out["engagement"]
    assert (endpoint_id, address, user_id, account_id) == (default_id, server.settings.controller_url,
                                                           user.idp_id, user.idp_id)
    assert account_type == "user" and tags == ["from-api-client"] and expires_at
    assert zmq.curve_public(secret.encode()) == public.encode() and len(server_public) == 40
    assert out["as_group"] == ["api-client-team", "group"]
    assert out["foreign_group"] == 403
    assert out["reserved"] == 503
    assert out["delete"] == 204 and out["after_delete"] == 404
