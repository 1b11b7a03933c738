"""The five processor operations over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import httpx
import pytest

from openqcs.processors.seed import published_isa
from tests.support.factories import grant_processor, make_synth_processor, make_user

ISA = "/v1/quantumProcessors/{}/instructionSetArchitecture"


def listed_ids(client: httpx.Client) -> list[str]:
    seen, token = [], None
    while True:
        params = {"pageSize": 100, **({"pageToken": token} if token else {})}
        body = client.get("/v1/quantumProcessors", params=params).json()
        seen += [p["id"] for p in body["quantumProcessors"]]
        token = body.get("nextPageToken")
        if token is None:
            return seen


def test_anonymous_sees_demo_processors_but_not_restricted(server, demo, restricted):
    with server.client() as anonymous:
        ids = listed_ids(anonymous)
        assert set(demo) <= set(ids)
        assert restricted not in ids
        for path in ("/v1/quantumProcessors/{}", "/v1/quantumProcessors/{}/accessors", ISA):
            response = anonymous.get(path.format(restricted))
            assert response.status_code == 404, path
            assert response.json()["code"] == "not_found"


def test_outsider_gets_404_but_granted_user_and_group_see_it(server, restricted):
    outsider = make_user(server.ctx)
    granted = make_user(server.ctx)
    member = make_user(server.ctx, groups=("team-" + restricted,))
    admin = make_user(server.ctx, admin=True)
    grant_processor(server.ctx, restricted, "user", granted.idp_id)
    grant_processor(server.ctx, restricted, "group", "team-" + restricted)
    with server.client(outsider.token) as client:
        assert client.get(f"/v1/quantumProcessors/{restricted}").status_code == 404
        assert client.get(ISA.format(restricted)).status_code == 404
        assert restricted not in listed_ids(client)
    for who in (granted, member, admin):
        with server.client(who.token) as client:
            assert client.get(f"/v1/quantumProcessors/{restricted}").json() == {"id": restricted}
            assert client.get(ISA.format(restricted)).json()["name"] == restricted
            assert client.get(f"/v1/quantumProcessors/{restricted}/accessors").status_code == 200
            assert restricted in listed_ids(client)


def test_bad_token_is_401_even_on_optional_auth(server, demo):
    with server.client("not-a-jwt") as client:
        assert client.get("/v1/quantumProcessors").status_code == 401


def test_unknown_processor_is_404(server, demo):
    with server.client() as client:
        response = client.get(ISA.format("No-Such-QPU"))
    assert response.status_code == 404
    assert "No-Such-QPU" in response.json()["message"]


def test_isa_is_the_published_calibration(server, demo):
    with server.client() as client:
        served = client.get(ISA.format("Aspen-M-3")).json()
    published = published_isa("Aspen-M-3")
    assert served["name"] == "Aspen-M-3"
    assert len(served["architecture"]["nodes"]) == 80
    fro = {s["node_ids"][0]: s["characteristics"][0]["value"]
           for op in published["instructions"] if op["name"] == "MEASURE" for s in op["sites"]}
    served_fro = {s["node_ids"][0]: s["characteristics"][0]["value"]
                  for op in served["instructions"] if op["name"] == "MEASURE" for s in op["sites"]}
    assert served_fro == fro


def test_etag_and_if_none_match_give_304(server, demo):
    with server.client() as client:
        first = client.get(ISA.format("Aspen-9"))
        etag = first.headers["etag"]
        assert etag.startswith('"') and len(etag) > 10
        again = client.get(ISA.format("Aspen-9"), headers={"if-none-match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        weak_list = client.get(ISA.format("Aspen-9"), headers={"if-none-match": f'"other", W/{etag}'})
        assert weak_list.status_code == 304
        stale = client.get(ISA.format("Aspen-9"), headers={"if-none-match": '"stale"'})
        assert stale.status_code == 200 and stale.json()["name"] == "Aspen-9"


def test_gzip_only_when_accepted(server, demo):
    with server.raw_client() as client:
        packed = client.get(ISA.format("Aspen-M-3"), headers={"accept-encoding": "gzip"})
        plain = client.get(ISA.format("Aspen-M-3"), headers={"accept-encoding": "identity"})
        refused = client.get(ISA.format("Aspen-M-3"), headers={"accept-encoding": "gzip;q=0"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    assert int(packed.headers["content-length"]) < int(plain.headers["content-length"]) / 3
    assert packed.json() == plain.json()
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    with server.raw_client() as client:
        for tag in (packed.headers["etag"], plain.headers["etag"]):
            again = client.get(ISA.format("Aspen-M-3"), headers={"accept-encoding": "gzip", "if-none-match": tag})
            assert again.status_code == 304


def test_new_import_is_served_with_a_new_etag(server, demo):
    ctx = server.ctx
    processor_id = make_synth_processor(ctx, prefix="Recal", seed=1)
    with server.client() as client:
        before = client.get(ISA.format(processor_id))
        from openqcs.processors import service
        from openqcs.processors.synth import synthesize

        with ctx.db.session(write=True) as session:
            doc = synthesize(processor_id, rows=2, cols=2, seed=2, now=ctx.clock.now())
            version = service.import_isa(session, doc, now=ctx.clock.now())
        assert version.version == 2
        after = client.get(ISA.format(processor_id), headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert after.json() != before.json()


def test_accessor_is_a_live_gateway_to_the_controller(server, demo):
    with server.client() as client:
        # qcs-sdk 0.21 sends pageSize here although the spec has no parameters.
        body = client.get("/v1/quantumProcessors/Aspen-M-3/accessors", params={"pageSize": 100, "x": 1}).json()
    assert body == {"accessors": [{"accessType": "gateway.v1", "live": True,
                                   "url": server.settings.controller_url, "rank": 1}]}


def test_processor_list_walks_pages_without_gaps_or_duplicates(server, demo):
    for _ in range(8):
        make_synth_processor(server.ctx, prefix="Page")
    with server.client() as client:
        everything = listed_ids(client)
        seen, token, pages, last = [], None, 0, None
        while True:
            params = {"pageSize": 3, **({"pageToken": token} if token else {})}
            last = client.get("/v1/quantumProcessors", params=params)
            body = last.json()
            assert len(body["quantumProcessors"]) <= 3
            seen += [p["id"] for p in body["quantumProcessors"]]
            pages += 1
            token = body.get("nextPageToken")
            if token is None:
                break
    assert "nextPageToken" not in last.json()
    assert pages >= 5
    assert seen == everything == sorted(everything)
    assert len(set(seen)) == len(seen)


def test_list_parameters_are_validated(server, demo):
    with server.client() as client:
        first = client.get("/v1/quantumProcessors", params={"pageSize": 2}).json()
        token = first["nextPageToken"]
        body, mac = token.split(".")
        tampered = body[:-3] + ("AAA" if body[-3:] != "AAA" else "BBB") + "." + mac
        for params in ({"pageToken": tampered}, {"pageSize": 0}, {"pageSize": -1}, {"pageSize": "ten"}):
            response = client.get("/v1/quantumProcessors", params=params)
            assert response.status_code == 422, params
            assert response.json()["validationErrors"][0]["in"] == "query"
        assert client.get("/v1/instructionSetArchitectures", params={"pageSize": 6}).status_code == 422
    other = make_user(server.ctx)
    with server.client(other.token) as client:
        # A token is bound to the caller that listed.
        assert client.get("/v1/quantumProcessors", params={"pageToken": token}).status_code == 422


def test_isa_list_pages_of_five_hold_every_visible_isa(server, demo, restricted):
    with server.client() as client:
        everything = listed_ids(client)
        seen, token, last = [], None, None
        while True:
            last = client.get("/v1/instructionSetArchitectures", params={"pageToken": token} if token else {})
            body = last.json()
            assert len(body["instructionSetArchitectures"]) <= 5
            seen += [isa["name"] for isa in body["instructionSetArchitectures"]]
            token = body.get("nextPageToken")
            if token is None:
                break
    assert "nextPageToken" not in last.json()
    # Every processor with an ISA, once each, in order (other tests add processors without one).
    assert seen == sorted(set(seen))
    assert set(demo) <= set(seen) <= set(everything)
    assert restricted not in seen


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_isa_list_is_valid_json_in_both_encodings(server, demo, encoding):
    with server.raw_client() as client:
        response = client.get("/v1/instructionSetArchitectures", params={"pageSize": 5},
                              headers={"accept-encoding": encoding})
    assert response.status_code == 200
    assert (response.headers.get("content-encoding") == "gzip") == (encoding == "gzip")
    names = [isa["name"] for isa in json.loads(response.content)["instructionSetArchitectures"]]
    assert len(names) == 5 and names == sorted(names)


def test_execution_gets_the_latest_isa_its_version_and_noise_flag(server, demo, restricted):
    from openqcs.errors import NotFound
    from openqcs.execution.service import processor_isa
    from openqcs.identity.principal import Principal
    from openqcs.processors.service import latest_isa, revoke

    insider = Principal(user_id=0, idp_id="u-insider", email="in@example.test", groups=frozenset())
    outsider = Principal(user_id=0, idp_id="u-outsider", email="out@example.test", groups=frozenset())
    grant_processor(server.ctx, restricted, "user", insider.idp_id)
    with server.ctx.db.session() as session:
        target = processor_isa(session, "Ankaa-9Q-noiseless", None)  # a worker: no visibility check
        assert (target.isa["name"], len(target.isa["architecture"]["nodes"]), target.noiseless) == (
            "Ankaa-9Q-noiseless", 9, True)
        assert target.version_id == latest_isa(session, "Ankaa-9Q-noiseless").id
        assert processor_isa(session, "Aspen-M-3", outsider).noiseless is False
        assert processor_isa(session, restricted, insider).isa["name"] == restricted
        assert processor_isa(session, restricted, None).isa["name"] == restricted
        with pytest.raises(NotFound):
            processor_isa(session, restricted, outsider)
    with server.ctx.db.session(write=True) as session:
        assert revoke(session, restricted, account_type="user", account_id=insider.idp_id) is True
    with server.ctx.db.session() as session, pytest.raises(NotFound):
        processor_isa(session, restricted, insider)
