"""The console's front page."""

from __future__ import annotations

from litestar import Request, Response, get

from openqcs.console.web import render
from openqcs.context import AppContext
from openqcs.identity.principal import Principal
from openqcs.viewer import service as viewer


@get("/", sync_to_thread=True)
def home(request: Request, ctx: AppContext, me: Principal) -> Response:
    with ctx.db.session() as session:
        announcements = viewer.list_viewer_announcements(session, me.user_id, now=ctx.clock.now())
    return render(request, "home.html", title="Overview", announcements=announcements)


ROUTES = [home]
