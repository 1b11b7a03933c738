"""Reading a whole list operation through its pages, as a client would."""

from __future__ import annotations

from typing import Any

import httpx


def every_item(client: httpx.Client, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of ``key`` over all pages of ``path``, following nextPageToken (never empty)."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        query = {**params, **({"pageToken": token} if token else {})}
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body[key]
        token = body.get("nextPageToken")
        if token is None:
            return items
        assert token != ""
