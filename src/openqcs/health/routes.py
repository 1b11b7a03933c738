"""GetHealth, HealthCheckDeprecated, HealthCheck and /metrics."""

from __future__ import annotations

from litestar import MediaType, Request, Response, get
from litestar.response import Redirect
from sqlalchemy import text

from openqcs.context import AppContext
from openqcs.errors import Unavailable
from openqcs.http.observe import metrics_text


@get("/", operation_id="GetHealth", sync_to_thread=True)
def get_health(ctx: AppContext, request: Request) -> dict[str, str] | Redirect:
    """Healthy when the database answers; a browser asking for a page is sent to the console."""
    if "text/html" in request.headers.get("accept", ""):
        return Redirect("/console", status_code=303)
    try:
        with ctx.db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        raise Unavailable(f"database check failed: {type(exc).__name__}", retry_after=2) from None
    return {"status": "PASS"}


@get("/v1/", operation_id="HealthCheckDeprecated")
async def health_check_deprecated() -> dict[str, str]:
    return {"status": "PASS"}


@get("/v1/healthcheck", operation_id="HealthCheck")
async def health_check() -> dict[str, str]:
    return {"status": "PASS"}


@get("/metrics", include_in_schema=False, media_type=MediaType.TEXT)
async def metrics() -> Response[bytes]:
    return Response(metrics_text(), media_type="text/plain; version=0.0.4")


ROUTES = [get_health, health_check_deprecated, health_check, metrics]
