"""``openqcs admin endpoint list|create|delete|defaults``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openqcs.commands import DatabaseUrl, DataDir
from openqcs.commands import admin_context as _context
from openqcs.identity.principal import OPERATOR

if TYPE_CHECKING:
    from openqcs.endpoints.service import EndpointInfo

endpoint_app = typer.Typer(help="Endpoints serving processors.", no_args_is_help=True)
groups = {"endpoint": endpoint_app}


def _as_dict(info: EndpointInfo) -> dict[str, Any]:
    return {"id": info.id, "quantumProcessorIds": info.processor_ids, "healthy": info.healthy, "mock": info.mock,
            "datacenter": info.datacenter, "ownerId": info.owner_id, "defaultFor": info.default_for}


@endpoint_app.command("list")
def list_(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Every live endpoint, one JSON object a line."""
    from openqcs.endpoints.service import list_endpoints

    with _context(database_url, data_dir) as ctx, ctx.db.session() as session:
        for info in list_endpoints(session, OPERATOR, ctx.clock.now()):
            typer.echo(json.dumps(_as_dict(info)))


@endpoint_app.command("create")
def create(
    processor: Annotated[list[str], typer.Option("--processor", help="A processor it serves (repeatable).")],
    datacenter: Annotated[str | None, typer.Option("--datacenter")] = None,
    mock: Annotated[bool, typer.Option("--mock/--no-mock", help="Serves simulated data for testing.")] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """An openqcs-owned endpoint, visible to whoever can see its processors; prints it as JSON."""
    from openqcs.endpoints.service import create_endpoint

    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            # No owner: the endpoint belongs to openqcs, not to a user.
            info = create_endpoint(session, None, processor, ctx.clock.now(), datacenter=datacenter, mock=mock)
        typer.echo(json.dumps(_as_dict(info)))


@endpoint_app.command("delete")
def delete(endpoint_id: str, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Delete an endpoint for good (a processor's default is recreated by ``defaults``)."""
    from openqcs.endpoints.service import delete_endpoint

    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            delete_endpoint(session, endpoint_id, OPERATOR, ctx.clock.now())
        typer.echo(f"deleted {endpoint_id}")


@endpoint_app.command("defaults")
def defaults(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Give every processor without a default endpoint one."""
    from openqcs.endpoints.service import ensure_default_endpoints

    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            made = ensure_default_endpoints(session, ctx.clock.now())
        typer.echo(f"default endpoints created for: {', '.join(made) or 'none'}")
