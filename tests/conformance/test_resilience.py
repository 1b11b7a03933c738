"""Faults and limits: the database going away, rate limiting, oversized and hostile input."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.support.databases import postgres_database
from tests.support.factories import make_user
from tests.support.server import live_server
from tests.support.tcpproxy import TcpProxy


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory):
    """A server whose PostgreSQL connection runs through a proxy the test can cut."""
    directory = str(tmp_path_factory.mktemp("proxied"))
    with postgres_database() as url:
        proxy = TcpProxy("127.0.0.1", 5432)
        proxied_url = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        try:
            with live_server(proxied_url, directory) as srv:
                yield srv, proxy
        finally:
            proxy.close()


def test_database_outage_is_503_with_retry_after_then_recovers(proxied_server):
    server, proxy = proxied_server
    with server.client() as client:
        assert client.get("/").status_code == 200
        proxy.cut()
        try:
            down = client.get("/", timeout=30)
            assert down.status_code == 503
            assert down.headers["retry-after"].isdigit()
            assert down.json()["code"] == "unavailable"
        finally:
            proxy.restore()
        deadline = time.monotonic() + 20
        while (status := client.get("/").status_code) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status == 200, "the server did not recover by itself"


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory):
    """Three requests per caller, then one more every 100 s; buckets for at most 50 callers."""
    directory = str(tmp_path_factory.mktemp("limited"))
    url = f"sqlite:///{directory}/openqcs.db"
    with live_server(url, directory, OPENQCS_RATE_LIMIT_PER_SECOND="0.01", OPENQCS_RATE_LIMIT_BURST="3",
                     OPENQCS_RATE_LIMIT_BUCKETS="50") as srv:
        yield srv


def test_rate_limit_answers_429_with_retry_after_per_principal(limited_server):
    with limited_server.client() as anonymous:
        statuses = [anonymous.get("/v1/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = anonymous.get("/v1/")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["code"] == "too_many_requests"
    # A token that does not verify names nobody: its sender is limited by address, with the anonymous calls.
    with limited_server.client(token="made-up") as junk:
        assert junk.get("/v1/").status_code == 429
    # A real user (from the same address) has a bucket of their own.
    with limited_server.client(make_user(limited_server.ctx).token) as other:
        assert [other.get("/v1/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_junk_tokens_do_not_evict_a_users_bucket(limited_server):
    """Before, every distinct Authorization header got a bucket of its own: 1,000 junk tokens
    pushed everyone else's buckets out of the bounded table, and their limits with them."""
    with limited_server.client(make_user(limited_server.ctx).token) as user:
        assert [user.get("/v1/").status_code for _ in range(4)] == [200, 200, 200, 429]
        with httpx.Client(base_url=limited_server.base_url) as attacker:
            junk = [attacker.get("/v1/", headers={"authorization": f"Bearer junk-{i}"}).status_code
                    for i in range(1000)]
        assert junk.count(429) >= 997  # one caller (the address), not a thousand
        assert user.get("/v1/").status_code == 429  # the user's limit still applies


def test_replicas_share_one_limit_through_redis(tmp_path_factory):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis must be running at 127.0.0.1:6379 (.ci/run starts it): {exc}")
    directory = str(tmp_path_factory.mktemp("replicas"))
    url = f"sqlite:///{directory}/openqcs.db"
    # Replicas behind one address share one issuer, so a token from one verifies at the other.
    env = {"OPENQCS_RATE_LIMIT_PER_SECOND": "0.2", "OPENQCS_RATE_LIMIT_BURST": "2",
           "OPENQCS_REDIS_URL": "redis://127.0.0.1:6379/0", "OPENQCS_ISSUER_URL": "http://openqcs.test"}
    with live_server(url, directory, **env) as first:
        import os
        second_dir = os.path.join(directory, "second")
        os.makedirs(second_dir)
        with live_server(url, second_dir, **env) as second:
            # One user (a fresh one: its Redis key is new) calling both replicas.
            credential = {"authorization": f"Bearer {make_user(first.ctx).token}"}
            a = httpx.get(first.base_url + "/v1/", headers=credential)
            b = httpx.get(second.base_url + "/v1/", headers=credential)
            c = httpx.get(first.base_url + "/v1/", headers=credential)
            d = httpx.get(second.base_url + "/v1/", headers=credential)
    assert [a.status_code, b.status_code] == [200, 200]
    assert [c.status_code, d.status_code] == [429, 429]


def test_oversized_body_is_413_in_error_shape(server):
    with server.raw_client() as client:
        response = client.post("/v1/clientApplications:check", content=b"{" + b" " * 2_000_000 + b"}",
                               headers={"content-type": "application/json"})
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "payload_too_large" and body["requestId"]


def test_deeply_nested_json_is_a_clear_4xx(server):
    nested = "[" * 100_000 + "]" * 100_000
    with server.raw_client() as client:
        response = client.post("/v1/clientApplications:check", content=nested.encode(),
                               headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert {"code", "message", "requestId"} <= set(response.json())


def test_huge_filter_is_422(server, user):
    with server.client(user.token) as client:
        response = client.get("/v1/endpoints", params={"filter": "id == 'x' or " * 2000 + "true"})
    assert response.status_code == 422
    assert response.json()["validationErrors"][0]["in"] == "query"


def test_error_body_is_json_with_request_id_for_garbage_paths(server):
    with server.raw_client() as client:
        response = client.get("/v1/%ff%fe/../../etc/passwd")
    assert response.status_code in (400, 404)
    assert json.loads(response.text)["requestId"] == response.headers["x-request-id"]
