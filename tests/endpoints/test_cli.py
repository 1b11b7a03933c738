"""``openqcs admin endpoint …``: what an operator makes is what API callers then see."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from openqcs.endpoints.cli import endpoint_app
from tests.support.factories import make_processor


def admin(server, *args: str):
    """``openqcs admin endpoint ARGS`` in-process (a subprocess per call is slow on a busy machine)."""
    env = {"OPENQCS_DATABASE_URL": server.settings.db_url, "OPENQCS_DATA_DIR": server.data_dir,
           "OPENQCS_CLOCK_FILE": server.settings.clock_file}
    return CliRunner().invoke(endpoint_app, list(args), env=env)


def test_operator_endpoints_are_shared_and_mock_is_filterable(server, user):
    processor = make_processor(server.ctx, prefix="Ep")
    made = admin(server, "create", "--processor", processor, "--mock", "--datacenter", "rigetti-gb-1")
    assert made.exit_code == 0, made.output
    endpoint_id = json.loads(made.stdout)["id"]
    defaults = admin(server, "defaults")
    assert defaults.exit_code == 0 and processor in defaults.stdout

    with server.client(user.token) as client:
        scope = f"'{processor}' in quantumProcessorIds"
        mocks = client.get("/v1/endpoints", params={"filter": f"{scope} and mock"}).json()["endpoints"]
        assert [(e["id"], e["datacenter"]) for e in mocks] == [(endpoint_id, "rigetti-gb-1")]
        default = client.get(f"/v1/quantumProcessors/{processor}/endpoints:getDefault").json()
        assert default["mock"] is False and default["id"] != endpoint_id
        # Only operators manage it.
        assert client.delete(f"/v1/endpoints/{endpoint_id}").status_code == 403

        listed = admin(server, "list")
        assert endpoint_id in listed.stdout and default["id"] in listed.stdout
        assert admin(server, "delete", endpoint_id).exit_code == 0
        assert client.get(f"/v1/endpoints/{endpoint_id}").status_code == 404

    unknown = admin(server, "create", "--processor", "No-Such-QPU")
    assert unknown.exit_code != 0 and "No-Such-QPU" in unknown.output
    bad_datacenter = admin(server, "create", "--processor", processor, "--datacenter", "mars-1")
    assert bad_datacenter.exit_code != 0 and "berkeley-775" in bad_datacenter.output
