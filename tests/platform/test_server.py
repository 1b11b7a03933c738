"""The live server: health, request ids, metrics, unknown routes, the operation list."""

from __future__ import annotations

import re

from openqcs.http.contract import operations


def test_health_operations_answer_pass(server):
    with server.client() as client:
        for path in ("/", "/v1/", "/v1/healthcheck"):
            response = client.get(path)
            assert response.status_code == 200
            assert response.json() == {"status": "PASS"}


def test_a_browser_asking_for_the_root_is_sent_to_the_console(server):
    with server.raw_client() as client:
        for _ in range(2):  # the first may go through Litestar, the second through the fast path
            page = client.get("/", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
            assert page.status_code == 303 and page.headers["location"] == "/console"
        assert client.get("/", headers={"accept": "application/json"}).json() == {"status": "PASS"}


def test_every_response_carries_a_request_id(server):
    with server.client() as client:
        ok = client.get("/")
        missing = client.get("/v1/no-such-thing")
    assert re.fullmatch(r"[0-9a-f]{32}", ok.headers["x-request-id"])
    assert missing.headers["x-request-id"] == missing.json()["requestId"]


def test_a_sane_incoming_request_id_is_kept(server):
    with server.client() as client:
        response = client.get("/v1/nope", headers={"x-request-id": "trace-abc-12345"})
    assert response.json()["requestId"] == "trace-abc-12345"


def test_unknown_route_is_404_in_error_shape(server):
    with server.client() as client:
        response = client.get("/v1/does/not/exist")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_405_in_error_shape(server):
    with server.client() as client:
        response = client.delete("/v1/healthcheck")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_metrics_count_requests_by_operation(server):
    with server.client() as client:
        client.get("/v1/healthcheck")
        text = server.raw_client().get("/metrics").text
    assert re.search(r'openqcs_http_requests_total\{method="GET",operation="HealthCheck",status="200"\} \d', text)
    assert "openqcs_http_request_duration_seconds_bucket" in text


def test_openapi_document_lists_the_52_spec_operations():
    import tempfile

    from litestar.testing import TestClient

    from openqcs.app import create_app
    from openqcs.config import load_settings

    with TestClient(create_app(load_settings(data_dir=tempfile.mkdtemp()))) as client:
        document = client.get("/openapi.json").json()
    served = {op["operationId"] for item in document["paths"].values() for op in item.values()
              if isinstance(op, dict) and "operationId" in op}
    assert set(operations()) <= served
    assert len(operations()) == 52


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_every_spec_operation_has_a_route(server):
    """No operation falls through to the router's 404/405: each reaches its handler."""
    with server.raw_client() as client:
        for op in operations().values():
            response = client.request(op["method"], _concrete(op["path"]))
            body = response.json() if response.content else {}
            routed = not (response.status_code == 405 or
                          (response.status_code == 404 and body.get("message", "").startswith("no route")))
            assert routed, f"{op['operationId']} {op['method']} {op['path']} has no route"
