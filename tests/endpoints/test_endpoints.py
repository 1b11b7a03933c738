"""ListEndpoints, CreateEndpoint, GetEndpoint, DeleteEndpoint, RestartEndpoint, GetDefaultEndpoint."""

from __future__ import annotations

from tests.support.factories import default_endpoint_id, make_processor, make_user
from tests.support.lists import every_item


def create(client, *processor_ids: str, **extra):
    return client.post("/v1/endpoints", json={"quantumProcessorIds": list(processor_ids), **extra})


def listed_ids(client, **params) -> list[str]:
    """Every endpoint id over all pages, failing on a repeated id."""
    ids = [e["id"] for e in every_item(client, "/v1/endpoints", "endpoints", **params)]
    assert len(ids) == len(set(ids))
    return ids


def test_created_endpoint_points_at_the_controller_and_only_its_owner_sees_it(server, user, other_user,
                                                                              processor):
    with server.client(user.token) as owner, server.client(other_user.token) as other:
        response = create(owner, processor, datacenters=["fremont-fab"])
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["addresses"]["grpc"] == server.settings.controller_url
        assert body["quantumProcessorIds"] == [processor]
        assert body["datacenter"] == "fremont-fab"
        assert body["healthy"] is False and body["mock"] is False

        assert owner.get(f"/v1/endpoints/{body['id']}").json()["id"] == body["id"]
        assert other.get(f"/v1/endpoints/{body['id']}").status_code == 404
        assert other.delete(f"/v1/endpoints/{body['id']}").status_code == 404
        assert other.post(f"/v1/endpoints/{body['id']}:restart").status_code == 403
        assert body["id"] not in listed_ids(other, filter=f"'{processor}' in quantumProcessorIds")
        # Still there for its owner after the others' attempts.
        assert owner.get(f"/v1/endpoints/{body['id']}").status_code == 200


def test_endpoint_becomes_healthy_after_provisioning_and_again_after_restart(server, user, processor, clock):
    with server.client(user.token) as client:
        endpoint_id = create(client, processor).json()["id"]
        assert client.get(f"/v1/endpoints/{endpoint_id}").json()["healthy"] is False
        clock(3)
        assert client.get(f"/v1/endpoints/{endpoint_id}").json()["healthy"] is True

        response = client.post(f"/v1/endpoints/{endpoint_id}:restart", json={"componentName": "controller"})
        assert response.status_code == 204 and response.content == b""
        assert client.get(f"/v1/endpoints/{endpoint_id}").json()["healthy"] is False
        clock(6)
        assert client.get(f"/v1/endpoints/{endpoint_id}").json()["healthy"] is True
        # Without a body, too (qcs-api-client's default).
        assert client.post(f"/v1/endpoints/{endpoint_id}:restart").status_code == 204
        assert client.get(f"/v1/endpoints/{endpoint_id}").json()["healthy"] is False


def test_restart_route_rejects_other_actions(server, user, processor):
    with server.client(user.token) as client:
        endpoint_id = create(client, processor).json()["id"]
        assert client.post(f"/v1/endpoints/{endpoint_id}:reboot").status_code == 404
        assert client.post(f"/v1/endpoints/{endpoint_id}").status_code == 404
        assert client.post("/v1/endpoints/ep-missing:restart").status_code == 403
        bad = client.post(f"/v1/endpoints/{endpoint_id}:restart", json={"componentName": ""})
        assert bad.status_code == 422


def test_delete_is_permanent(server, user, processor):
    with server.client(user.token) as client:
        endpoint_id = create(client, processor).json()["id"]
        assert client.delete(f"/v1/endpoints/{endpoint_id}").status_code == 204
        assert client.get(f"/v1/endpoints/{endpoint_id}").status_code == 404
        assert client.delete(f"/v1/endpoints/{endpoint_id}").status_code == 404
        assert client.post(f"/v1/endpoints/{endpoint_id}:restart").status_code == 403
        assert endpoint_id not in listed_ids(client, filter=f"'{processor}' in quantumProcessorIds")


def test_create_rejects_bad_parameters(server, user):
    secret = make_processor(server.ctx, prefix="Ep", default_endpoint=True, public=False)
    with server.client(user.token) as client:
        for body, status in [
            ({"quantumProcessorIds": []}, 422),
            ({}, 422),
            ({"quantumProcessorIds": ["No-Such-QPU"]}, 404),
            ({"quantumProcessorIds": [secret]}, 404),
            ({"quantumProcessorIds": [secret], "datacenters": ["mars-1"]}, 422),
        ]:
            response = client.post("/v1/endpoints", json=body)
            assert response.status_code == status, (body, response.text)
        assert client.post("/v1/endpoints", content=b"{not json", headers={"content-type": "application/json"}
                           ).status_code == 422
        assert listed_ids(client, filter=f"'{secret}' in quantumProcessorIds") == []


def test_restricted_processor_endpoints_follow_its_access_list(server):
    insider, outsider = make_user(server.ctx, groups=("ep-lab",)), make_user(server.ctx)
    secret = make_processor(server.ctx, prefix="Ep", default_endpoint=True, public=False,
                            grants=(("group", "ep-lab"),))
    default_id = default_endpoint_id(server.ctx, secret)
    with server.client(insider.token) as inside, server.client(outsider.token) as outside:
        assert inside.get(f"/v1/quantumProcessors/{secret}/endpoints:getDefault").json()["id"] == default_id
        assert outside.get(f"/v1/quantumProcessors/{secret}/endpoints:getDefault").status_code == 404
        assert outside.get(f"/v1/endpoints/{default_id}").status_code == 404
        assert create(inside, secret).status_code == 201
        assert create(outside, secret).status_code == 404
        assert listed_ids(outside, filter=f"'{secret}' in quantumProcessorIds") == []


def test_list_filters_and_pages(server, user, other_user, clock):
    first, second = (make_processor(server.ctx, prefix="Ep", default_endpoint=True) for _ in range(2))
    with server.client(user.token) as client:
        mine = [create(client, first).json()["id"], create(client, first, second).json()["id"],
                create(client, second, datacenters=["rigetti-gb-1"]).json()["id"]]
        default_first = default_endpoint_id(server.ctx, first)

        assert sorted(listed_ids(client, filter=f"'{first}' in quantumProcessorIds", pageSize=1)) == sorted(
            [default_first, mine[0], mine[1]])
        page = client.get("/v1/endpoints", params={"filter": f"'{first}' in quantumProcessorIds",
                                                   "pageSize": 2}).json()
        assert len(page["endpoints"]) == 2 and page["nextPageToken"]
        assert listed_ids(client, filter=f'id == "{mine[2]}"') == [mine[2]]
        assert listed_ids(client, filter=f"datacenter == 'rigetti-gb-1' and '{second}' in quantumProcessorIds"
                          ) == [mine[2]]
        scope = f"'{first}' in quantumProcessorIds"
        assert listed_ids(client, filter=f"{scope} and healthy == true") == [default_first]
        assert sorted(listed_ids(client, filter=f"{scope} and not healthy")) == sorted(mine[:2])
        assert len(listed_ids(client, filter=f"{scope} and mock == false")) == 3
        clock(3)
        assert len(listed_ids(client, filter=f"{scope} and healthy")) == 3

        problems = {
            "nosuch == 1": "unknown field 'nosuch'",
            "healthy ==": "invalid filter",
        }
        for text, message in problems.items():
            response = client.get("/v1/endpoints", params={"filter": text})
            assert response.status_code == 422 and message in response.json()["message"], response.text
        assert client.get("/v1/endpoints", params={"pageSize": 0}).status_code == 422
        assert client.get("/v1/endpoints", params={"pageToken": "forged"}).status_code == 422
        # A page token is bound to its filter.
        token = client.get("/v1/endpoints", params={"filter": scope, "pageSize": 1}).json()["nextPageToken"]
        assert client.get("/v1/endpoints", params={"pageToken": token, "pageSize": 1}).status_code == 422

    with server.client(other_user.token) as other:
        assert listed_ids(other, filter=scope) == [default_first]


def test_default_endpoint_is_shared_but_only_admins_manage_it(server, user, admin_user, processor):
    default_id = default_endpoint_id(server.ctx, processor)
    with server.client(user.token) as client, server.client(admin_user.token) as admin:
        body = client.get(f"/v1/quantumProcessors/{processor}/endpoints:getDefault").json()
        assert body["id"] == default_id and body["healthy"] is True
        assert body["quantumProcessorIds"] == [processor]
        assert body["addresses"]["grpc"] == server.settings.controller_url
        assert client.get(f"/v1/endpoints/{default_id}").json() == body
        assert client.delete(f"/v1/endpoints/{default_id}").status_code == 403
        assert client.post(f"/v1/endpoints/{default_id}:restart").status_code == 403
        assert client.get("/v1/quantumProcessors/No-Such-QPU/endpoints:getDefault").status_code == 404

        assert admin.post(f"/v1/endpoints/{default_id}:restart").status_code == 204
        assert client.get(f"/v1/endpoints/{default_id}").json()["healthy"] is False
        assert admin.delete(f"/v1/endpoints/{default_id}").status_code == 204
        assert client.get(f"/v1/quantumProcessors/{processor}/endpoints:getDefault").status_code == 404
        # The seed (or processor import) gives it a new one.
        new_id = default_endpoint_id(server.ctx, processor)
        assert new_id != default_id
        assert client.get(f"/v1/quantumProcessors/{processor}/endpoints:getDefault").json()["id"] == new_id


def test_processor_without_default_endpoint(server, user):
    bare = make_processor(server.ctx, prefix="Ep")
    with server.client(user.token) as client:
        response = client.get(f"/v1/quantumProcessors/{bare}/endpoints:getDefault")
        assert response.status_code == 404 and "no default endpoint" in response.json()["message"]


def test_endpoints_need_a_token(server, processor):
    with server.client() as anonymous:
        assert anonymous.get("/v1/endpoints").status_code == 401
        assert anonymous.get(f"/v1/quantumProcessors/{processor}/endpoints:getDefault").status_code == 401
        assert create(anonymous, processor).status_code == 401
