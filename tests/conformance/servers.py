"""Helpers for the fault tests: one dedicated live server per test, on a chosen database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.support.databases import database
from tests.support.server import LiveServer, live_server


@contextmanager
def dedicated_server(kind: str, directory: str, **env: str) -> Iterator[LiveServer]:
    """A server of its own (not the shared ``server``): these tests kill it or throttle it."""
    with database(kind, directory) as url, live_server(url, directory, **env) as srv:
        yield srv


def metric_total(base_url: str, name: str, **labels: str) -> float:
    """Sum of a Prometheus counter over every series whose labels include ``labels``."""
    text = httpx.get(base_url + "/metrics", timeout=10).text
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
    return total
