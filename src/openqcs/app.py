"""Builds the ASGI app from each domain's ``ROUTES``.

Spec operations that no domain serves yet answer 501 in the spec's Error shape, so the
app always lists all 52 operations.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, get, route
from litestar.openapi import OpenAPIConfig

from openqcs.config import Settings, load_settings
from openqcs.context import AppContext
from openqcs.domains import submodules
from openqcs.http import ratelimit
from openqcs.http.auth import DEPENDENCIES
from openqcs.http.bodylimit import BodyLimitMiddleware
from openqcs.http.contract import contract, litestar_path, operations
from openqcs.http.errors import EXCEPTION_HANDLERS, error_response
from openqcs.http.observe import ObserveMiddleware


def _not_implemented(op: dict[str, Any]):
    path = litestar_path(op["path"].split("}:")[0] + "}" if "}:" in op["path"] else op["path"])

    @route(path, http_method=[op["method"]], operation_id=op["operationId"], status_code=501)
    async def handler(request: Request) -> Any:
        return error_response(request, 501, "not_implemented", f"{op['operationId']} is not implemented yet")

    return handler


@get("/openapi.json", include_in_schema=False)
async def openapi_document(request: Request) -> dict[str, Any]:
    """The app's own OpenAPI document, at the conventional path."""
    return request.app.openapi_schema.to_schema()


def collect_routes() -> list[Any]:
    handlers = [h for module in submodules("routes") for h in getattr(module, "ROUTES", [])]
    handlers.append(openapi_document)
    served = {getattr(h, "operation_id", None) for h in handlers}
    handlers += [_not_implemented(op) for op_id, op in operations().items() if op_id not in served]
    return handlers


def create_app(settings: Settings | None = None, ctx: AppContext | None = None) -> Any:
    ctx = ctx or AppContext.create(settings or load_settings())
    info = contract()["info"]
    app = Litestar(
        route_handlers=collect_routes(),
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title=info["title"], version=info["version"], path="/openapi"),
        request_max_body_size=ctx.settings.max_body_bytes,
        on_shutdown=[ctx.close],
        debug=False,
        logging_config=None,
    )
    app.state.ctx = ctx
    return ObserveMiddleware(BodyLimitMiddleware(ratelimit.wrap(app, ctx.settings), ctx.settings.max_body_bytes))


def asgi() -> Any:
    """Entry point for granian workers (``openqcs.app:asgi`` with ``--factory``)."""
    from openqcs import logs

    settings = load_settings()
    logs.configure(settings.log_level)
    return create_app(settings)
