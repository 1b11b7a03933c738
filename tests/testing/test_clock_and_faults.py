"""The test clock and faults on purpose, through the admin API."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.support.factories import make_user


def test_the_clock_is_read_set_and_advanced(admin_server, admin_api):
    shown = admin_api.get("/admin/v1/clock").json()
    assert shown["movable"] is True
    moved = admin_api.put("/admin/v1/clock", json={"offsetSeconds": 7200}).json()
    assert moved["offsetSeconds"] == 7200
    assert datetime.fromisoformat(moved["now"]) - datetime.now(UTC) > timedelta(seconds=7100)
    advanced = admin_api.post("/admin/v1/clock/advance", json={"seconds": 1800}).json()
    assert advanced["offsetSeconds"] == 9000
    target = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    at = datetime.fromisoformat(admin_api.put("/admin/v1/clock", json={"now": "2031-05-06T07:08:09Z"}).json()["now"])
    assert timedelta(0) <= at - target < timedelta(minutes=1)
    for bad in ({"now": "next tuesday"}, {"now": "2031-05-06T07:08:09"}, {}, {"offsetSeconds": 1, "now": "2031-01-01T00:00:00Z"},
                {"offsetSeconds": 1e12}):
        answer = admin_api.put("/admin/v1/clock", json=bad)
        assert answer.status_code == 422, (bad, answer.text)
    assert admin_api.post("/admin/v1/clock/advance", json={"seconds": "soon"}).status_code == 422


def test_access_tokens_last_24_hours_on_the_servers_clock(admin_server, admin_api):
    user = make_user(admin_server.ctx)  # signed at real time, with the default lifetime
    admin_api.put("/admin/v1/clock", json={"offsetSeconds": 23 * 3600})
    with admin_server.client(user.token) as api:
        assert api.get("/v1/auth:getUser").status_code == 200
    admin_api.post("/admin/v1/clock/advance", json={"seconds": 2 * 3600})
    with admin_server.client(user.token) as api:
        answer = api.get("/v1/auth:getUser")
        assert answer.status_code == 401 and "expired" in answer.json()["message"]


def test_a_fault_makes_matching_calls_fail_and_goes_away_when_cleared(admin_server, admin_api):
    admin_api.post("/admin/v1/reset")
    user = make_user(admin_server.ctx)
    made = admin_api.post("/admin/v1/faults", json={"path": "/v1/quantumProcessors", "status": 503,
                                                     "message": "the fridge is warming up"})
    assert made.status_code == 201, made.text
    with admin_server.client(user.token) as api:
        failed = api.get("/v1/quantumProcessors")
        assert failed.status_code == 503
        assert failed.json()["message"] == "the fridge is warming up" and failed.json()["requestId"]
        assert failed.headers["retry-after"] == "1"
        assert api.get("/v1/auth:getUser").status_code == 200  # other paths are untouched
    listed = admin_api.get("/admin/v1/faults").json()["faults"]
    assert [f["status"] for f in listed] == [503]
    assert admin_api.delete("/admin/v1/faults").json() == {"removed": 1}
    with admin_server.client(user.token) as api:
        assert api.get("/v1/quantumProcessors").status_code == 200


def test_a_latency_fault_delays_calls(admin_server, admin_api):
    admin_api.post("/admin/v1/reset")
    admin_api.post("/admin/v1/faults", json={"path": "/v1/healthcheck", "latencyMs": 400})
    try:
        with admin_server.raw_client() as api:
            started = time.monotonic()
            assert api.get("/v1/healthcheck").status_code == 200
            assert time.monotonic() - started >= 0.4  # a lower bound only: the delay was asked for
    finally:
        admin_api.delete("/admin/v1/faults")


def test_faults_are_checked_and_the_admin_api_cannot_be_faulted(admin_server, admin_api):
    for bad in ({"path": "/admin/v1/", "status": 503}, {"path": "v1", "status": 503}, {"status": 299},
                {"path": "/v1/"}, {"status": 500, "fraction": 0}, {"latencyMs": -1}, {"status": 500, "method": "BREW"},
                {"status": 500, "color": "red"}):
        answer = admin_api.post("/admin/v1/faults", json=bad)
        assert answer.status_code == 422, (bad, answer.text)
    assert admin_api.get("/admin/v1/faults").json() == {"faults": []}


def test_a_reset_clears_faults(admin_server, admin_api):
    admin_api.post("/admin/v1/faults", json={"path": "/v1/", "status": 500})
    admin_api.post("/admin/v1/reset")
    with admin_server.raw_client() as api:
        assert api.get("/v1/healthcheck").status_code == 200


def test_an_offline_processor_has_no_live_accessor(admin_server, admin_api):
    admin_api.post("/admin/v1/reset")
    user = make_user(admin_server.ctx)

    def live() -> list[bool]:
        with admin_server.client(user.token) as api:
            return [a["live"] for a in api.get("/v1/quantumProcessors/Aspen-M-3/accessors").json()["accessors"]]

    assert live() == [True]
    answer = admin_api.put("/admin/v1/processors/Aspen-M-3/status", json={"status": "offline"})
    assert answer.status_code == 200 and answer.json() == {"id": "Aspen-M-3", "status": "offline"}
    assert live() == [False]
    assert admin_api.put("/admin/v1/processors/Aspen-M-3/status", json={"status": "degraded"}).status_code == 200
    assert live() == [True]
    assert admin_api.put("/admin/v1/processors/Aspen-M-3/status", json={"status": "melted"}).status_code == 422
    assert admin_api.put("/admin/v1/processors/Nope-1/status", json={"status": "offline"}).status_code == 404


def test_a_grpc_fault_is_accepted_and_leaves_rest_calls_alone(admin_server, admin_api):
    admin_api.post("/admin/v1/reset")
    made = admin_api.post("/admin/v1/faults", json={"path": "/", "method": "grpc", "status": 503})
    assert made.status_code == 201 and made.json()["method"] == "GRPC"
    try:
        with admin_server.raw_client() as api:
            assert api.get("/v1/healthcheck").status_code == 200
    finally:
        admin_api.delete("/admin/v1/faults")
