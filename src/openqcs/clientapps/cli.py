"""``openqcs admin clientapp set|list``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openqcs.commands import DatabaseUrl, DataDir
from openqcs.commands import admin_context as _context

if TYPE_CHECKING:
    from openqcs.clientapps.models import ClientApplication

clientapp_app = typer.Typer(help="Client applications and their supported versions.", no_args_is_help=True)
groups = {"clientapp": clientapp_app}


def parse_link(text: str) -> dict[str, str]:
    """``URL`` or ``PLATFORM=URL``."""
    platform, sep, url = text.partition("=")
    if sep and platform and not any(c in platform for c in ":/"):
        return {"url": url, "platform": platform}
    return {"url": text}


def _as_dict(app: ClientApplication) -> dict[str, Any]:
    return {"name": app.name, "latestVersion": app.latest_version, "minimumVersion": app.minimum_version,
            "detailsUri": app.details_uri, "supported": app.supported, "links": app.links}


@clientapp_app.command("set")
def set_(
    name: Annotated[str, typer.Argument(help="e.g. pyquil")],
    latest: Annotated[str, typer.Option("--latest", help="Latest released version.")],
    minimum: Annotated[str | None, typer.Option("--minimum", help="Oldest version still supported.")] = None,
    details_uri: Annotated[str | None, typer.Option("--details-uri")] = None,
    link: Annotated[list[str] | None, typer.Option("--link", help="Download link: URL or PLATFORM=URL.")] = None,
    supported: Annotated[bool | None, typer.Option("--supported/--unsupported")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Create a client application or update it (options not given keep their value); prints it as JSON."""
    from openqcs.clientapps.service import set_client_application

    with _context(database_url, data_dir) as ctx, ctx.db.session(write=True) as session:
        app = set_client_application(session, name, latest=latest, minimum=minimum, details_uri=details_uri,
                                     links=[parse_link(t) for t in link] if link else None, supported=supported,
                                     now=ctx.clock.now())
        typer.echo(json.dumps(_as_dict(app)))


@clientapp_app.command("list")
def list_(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Every client application, one JSON object a line."""
    from openqcs.clientapps.service import list_client_applications

    with _context(database_url, data_dir) as ctx, ctx.db.session() as session:
        for app in list_client_applications(session):
            typer.echo(json.dumps(_as_dict(app)))
