"""Failures the spec fuzzer found, kept as plain regression tests."""

from __future__ import annotations

import pytest

HUGE = "327912035902554265594017689370624"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_reservation_id_beyond_64_bits_is_404_not_500(server, user, method):
    with server.client(user.token) as client:
        response = client.request(method, f"/v1/reservations/{HUGE}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
