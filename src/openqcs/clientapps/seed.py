"""Demo data: Rigetti's three Python clients, at the versions openqcs is tested with."""

from __future__ import annotations

from openqcs.clientapps.models import ClientApplication
from openqcs.clientapps.service import set_client_application
from openqcs.context import AppContext

KNOWN_CLIENTS = [
    # name, latest, minimum, details
    ("pyquil", "4.22.0", "4.0.0", "https://pypi.org/project/pyquil/"),
    ("qcs-sdk-python", "0.31.1", "0.21.0", "https://pypi.org/project/qcs-sdk-python/"),
    ("qcs-api-client", "0.27.8", "0.21.0", "https://pypi.org/project/qcs-api-client/"),
]


def seed_demo(ctx: AppContext) -> None:
    """Adds the known clients that are missing; leaves ones an administrator changed alone."""
    with ctx.db.session(write=True) as session:
        for name, latest, minimum, details in KNOWN_CLIENTS:
            if session.get(ClientApplication, name) is None:
                set_client_application(session, name, latest=latest, minimum=minimum, details_uri=details,
                                       links=[{"url": details, "platform": "pypi"}], now=ctx.clock.now())
