"""The pytest plugin (entry point ``pytest11: openqcs``): a local QCS for every test.

::

    from pyquil import get_qc

    def test_bell(openqcs):
        qc = get_qc("Aspen-M-3")
        ...

One server per session (free ports, a fresh SQLite file, quilc and the QVM beside it); before
each test its state goes back to the demo seed, its clock to real time, faults away, and
Rigetti's clients are pointed at it as ``demo@openqcs.local`` (the issuer is served over TLS with
a local CA, which ``SSL_CERT_FILE`` makes trusted beside the system's CAs: qcs-sdk-python 0.31
refreshes tokens only at an https:// issuer; ini ``openqcs_https = false`` turns it off). Mark a test
``@pytest.mark.openqcs(reset=False)`` to keep what the previous test left, or ``empty=True`` to
start with no users and no processors.

The server runs on the tests' interpreter, or on ``--openqcs-python`` / the ini option
``openqcs_python`` (a Python with openqcs and its dependencies): the tests' own environment then
needs only this package's code (``pip install --no-deps openqcs``), e.g. beside pyquil 4.22.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openqcs.testing.handle import DEMO_EMAIL, OpenQCS
from openqcs.testing.server import SessionServer


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = "Python interpreter that runs the openqcs server (default: the one running the tests)"
    parser.addoption("--openqcs-python", default=None, help=help_text)
    parser.addini("openqcs_python", help_text, default="")
    seed_help = "OPENQCS_SIMULATION_SEED of the server: the same program gives the same bits (default: random)"
    parser.addoption("--openqcs-seed", default=None, help=seed_help)
    parser.addini("openqcs_seed", seed_help, default="")
    parser.addini("openqcs_https", "serve the issuer over TLS with a local CA (trusted via SSL_CERT_FILE in tests)",
                  type="bool", default=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "openqcs(reset=True, empty=False): how the openqcs fixture prepares a test")


@pytest.fixture(scope="session")
def openqcs_server(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[SessionServer]:
    """The session's ``openqcs serve`` process."""
    python = pytestconfig.getoption("--openqcs-python") or pytestconfig.getini("openqcs_python")
    seed = pytestconfig.getoption("--openqcs-seed") or pytestconfig.getini("openqcs_seed")
    server = SessionServer(tmp_path_factory.mktemp("openqcs"), python=python,
                           https=pytestconfig.getini("openqcs_https"),
                           extra_env={"OPENQCS_SIMULATION_SEED": seed} if seed else None)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def openqcs(openqcs_server: SessionServer, tmp_path_factory: pytest.TempPathFactory,
            monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[OpenQCS]:
    """A handle on the session's server, with the clients' settings pointed at it for this test."""
    marker = request.node.get_closest_marker("openqcs")
    options = {"reset": True, "empty": False, **(marker.kwargs if marker else {})}
    handle = OpenQCS(openqcs_server.endpoints, openqcs_server.admin_token, tmp_path_factory.mktemp("qcs"))
    if options["reset"]:
        handle.real_time()
        handle.reset(empty=options["empty"])
    if not options["empty"]:
        handle.use(DEMO_EMAIL)
    for name, value in handle.client_env.items():
        monkeypatch.setenv(name, value)
    if openqcs_server.bundle is not None:
        monkeypatch.setenv("SSL_CERT_FILE", str(openqcs_server.bundle))
    yield handle
