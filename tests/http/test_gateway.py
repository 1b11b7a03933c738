"""The one ASGI layer in front of the app: body limit, request ids and metrics on every answer."""

from __future__ import annotations

import re


def test_a_chunked_body_over_the_limit_is_413_in_error_shape(server):
    def chunks():  # no Content-Length: the limit is found while the body arrives
        for _ in range(40):
            yield b" " * 65536

    with server.raw_client() as client:
        response = client.post("/v1/clientApplications:check", content=chunks(),
                               headers={"content-type": "application/json"})
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "payload_too_large" and "larger than" in body["message"]
    assert body["requestId"] == response.headers["x-request-id"]


def test_a_body_within_the_limit_without_a_length_is_read(server):
    def chunks():
        yield b'{"name": "no-such-app", '
        yield b'"version": "4.0.0"}'

    with server.raw_client() as client:
        response = client.post("/v1/clientApplications:check", content=chunks(),
                               headers={"content-type": "application/json"})
    assert response.status_code == 404  # read and parsed: the application is unknown
    assert "no-such-app" in response.json()["message"]


def test_answers_from_memory_carry_the_request_id_and_are_counted(server):
    with server.client() as client:
        for _ in range(2):  # the first may fill the caches through the app
            answer = client.get("/", headers={"x-request-id": "trace-fast-0001"})
        text = server.raw_client().get("/metrics").text
    assert answer.status_code == 200 and answer.headers["x-request-id"] == "trace-fast-0001"
    assert re.search(r'openqcs_http_requests_total\{method="GET",operation="GetHealth",status="200"\} \d', text)
