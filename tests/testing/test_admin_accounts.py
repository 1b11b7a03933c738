"""The admin API's setup calls: users with tokens, groups, credit, processors."""

from __future__ import annotations

import secrets

from openqcs.processors.seed import published_isa


def test_a_user_made_through_the_admin_api_can_call_the_api(admin_server, admin_api):
    email = f"made-{secrets.token_hex(3)}@example.test"
    made = admin_api.post("/admin/v1/users", json={"email": email, "groups": ["made-team"], "creditCents": 700})
    assert made.status_code == 201, made.text
    body = made.json()
    with admin_server.client(body["accessToken"]) as api:
        assert api.get("/v1/auth:getUser").json()["profile"]["email"] == email
        assert api.get(f"/v1/users/{body['idpId']}/balance").json()["balance"] == -700
        assert [g["name"] for g in api.get(f"/v1/users/{body['idpId']}/groups").json()["groups"]] == ["made-team"]
    again = admin_api.post(f"/admin/v1/users/{email}/tokens")
    assert again.status_code == 201 and again.json()["accessToken"] != body["accessToken"]
    with admin_server.raw_client() as client:  # the refresh token works at the issuer
        refreshed = client.post("/oauth2/default/v1/token", data={"grant_type": "refresh_token", "client_id": "openqcs",
                                                                  "refresh_token": again.json()["refreshToken"]})
        assert refreshed.status_code == 200
    assert admin_api.post("/admin/v1/users", json={"email": email}).status_code == 409
    assert admin_api.post("/admin/v1/users", json={"email": "not-an-email"}).status_code == 422
    assert admin_api.post("/admin/v1/users/nobody@example.test/tokens").status_code == 404


def test_groups_and_credit(admin_server, admin_api):
    tag = secrets.token_hex(3)
    email = f"member-{tag}@example.test"
    admin_api.post("/admin/v1/users", json={"email": email})
    assert admin_api.post("/admin/v1/groups", json={"name": f"g-{tag}", "members": [email]}).status_code == 201
    credited = admin_api.post("/admin/v1/credit", json={"cents": 250, "group": f"g-{tag}"})
    assert credited.json() == {"balanceCents": 250}
    assert admin_api.get("/admin/v1/balance", params={"group": f"g-{tag}"}).json() == {"balanceCents": 250}
    assert admin_api.post("/admin/v1/credit", json={"cents": 5, "group": "no-such-group"}).status_code == 404
    assert admin_api.post("/admin/v1/credit", json={"cents": 5}).status_code == 422
    assert admin_api.post("/admin/v1/groups", json={"name": f"g-{tag}", "members": ["ghost@example.test"]}
                          ).status_code == 404


def test_processors_synthesized_or_published(admin_server, admin_api):
    tag = secrets.token_hex(2)
    token = admin_api.post("/admin/v1/users", json={"email": f"p-{tag}@example.test"}).json()["accessToken"]
    synth = admin_api.post("/admin/v1/processors", json={"id": f"Lab-{tag}", "rows": 2, "cols": 3})
    assert synth.status_code == 201 and synth.json() == {"id": f"Lab-{tag}", "isaVersion": 1}
    published = admin_api.post("/admin/v1/processors", json={"id": f"Copy-{tag}", "isa": published_isa("Aspen-9"),
                                                             "noiseless": True})
    assert published.status_code == 201, published.text
    with admin_server.client(token) as api:
        isa = api.get(f"/v1/quantumProcessors/Lab-{tag}/instructionSetArchitecture").json()
        assert len(isa["architecture"]["nodes"]) == 6
        copy = api.get(f"/v1/quantumProcessors/Copy-{tag}/instructionSetArchitecture").json()
        assert copy["name"] == f"Copy-{tag}" and len(copy["architecture"]["nodes"]) > 20
    assert admin_api.post("/admin/v1/processors", json={"rows": 2}).status_code == 422
    assert admin_api.post("/admin/v1/processors", json={"id": "Big", "rows": 100, "cols": 100}).status_code == 422
    bad = admin_api.post("/admin/v1/processors", json={"id": "Broken", "isa": {"name": "Broken"}})
    assert bad.status_code == 422
