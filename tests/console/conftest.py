"""Browser tests: Debian's Chromium driven by Playwright against a live openqcs server with the
demo data (Aspen-M-3, demo@openqcs.local with credit)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from openqcs.domains import submodules
from tests.support.databases import database
from tests.support.server import live_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def console_server(db_kind: str, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp(f"console-{db_kind}"))
    with database(db_kind, directory) as url, live_server(url, directory) as srv:
        for module in submodules("seed"):
            module.seed_demo(srv.ctx)
        yield srv


# Per module, not per session: Playwright's sync API keeps an event loop running in this thread
# while it lives, and other domains' tests call asyncio.run() in-process.
@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install --no-install-recommends chromium fonts-dejavu-core "
                    "(.ci/run does it)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, console_server) -> Page:
    context = browser.new_context(base_url=console_server.base_url, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: $OPENQCS_SCREENSHOTS, or the session's tmp dir."""
    chosen = os.environ.get("OPENQCS_SCREENSHOTS")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
