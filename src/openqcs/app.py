"""Builds the ASGI app from each domain's ``ROUTES`` (every spec operation is served by one;
tests/platform/test_server.py checks all 52)."""

from __future__ import annotations

from typing import Any, cast

from litestar import Litestar, Request, get
from litestar.openapi import OpenAPIConfig
from litestar.plugins import PluginProtocol
from litestar.types import ExceptionHandlersMap

from openqcs.config import Settings, load_settings
from openqcs.context import AppContext
from openqcs.core.faults import ASGIApp
from openqcs.domains import submodules
from openqcs.http.auth import DEPENDENCIES
from openqcs.http.contract import contract
from openqcs.http.errors import EXCEPTION_HANDLERS
from openqcs.http.gateway import Gateway


@get("/openapi.json", include_in_schema=False)
async def openapi_document(request: Request) -> dict[str, Any]:
    """The app's own OpenAPI document, at the conventional path."""
    return request.app.openapi_schema.to_schema()


class _Litestar(Litestar):
    @staticmethod
    def _get_default_plugins(plugins: list[PluginProtocol]) -> list[PluginProtocol]:
        # Without the pydantic and attrs plugins Litestar adds whenever those packages are
        # installed: no handler uses them, and importing them was a third of building the app.
        from litestar.plugins.core import MsgspecDIPlugin

        plugins.append(MsgspecDIPlugin())
        return plugins


def collect_routes() -> list[Any]:
    handlers = [h for module in submodules("routes") for h in getattr(module, "ROUTES", [])]
    handlers.append(openapi_document)
    return handlers


def create_app(settings: Settings | None = None, ctx: AppContext | None = None) -> Any:
    ctx = ctx or AppContext.create(settings or load_settings())
    info = contract()["info"]
    app = _Litestar(
        route_handlers=collect_routes(),
        dependencies=DEPENDENCIES,
        exception_handlers=cast("ExceptionHandlersMap", EXCEPTION_HANDLERS),
        openapi_config=OpenAPIConfig(title=info["title"], version=info["version"], path="/openapi"),
        request_max_body_size=None,  # the gateway's limit is the one limit
        on_shutdown=[ctx.close],
        debug=False,
        logging_config=None,
    )
    app.state.ctx = ctx
    return Gateway(cast("ASGIApp", app), ctx)


def asgi() -> Any:
    """Entry point for granian workers (``openqcs.app:asgi`` with ``--factory``)."""
    from openqcs import logs

    settings = load_settings()
    logs.configure(settings.log_level)
    return create_app(settings)
