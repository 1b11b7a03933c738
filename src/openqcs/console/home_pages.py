"""The console's front page."""

from __future__ import annotations

from litestar import Request, Response, get, post

from openqcs.console import forms
from openqcs.console.web import redirect, render
from openqcs.context import AppContext
from openqcs.errors import NotFound
from openqcs.identity.principal import Principal
from openqcs.viewer import service as viewer


@get("/", sync_to_thread=True)
def home(request: Request, ctx: AppContext, me: Principal) -> Response:
    with ctx.db.session() as session:
        announcements = viewer.list_viewer_announcements(session, me.user_id, now=ctx.clock.now())
    return render(request, "home.html", title="Overview", announcements=announcements)


@post("/announcements/{announcement_id:int}/dismiss", sync_to_thread=True)
def dismiss(request: Request, ctx: AppContext, me: Principal, announcement_id: int, form: dict[str, str]) -> Response:
    with ctx.db.session(write=True) as session:
        viewer.dismiss_announcement(session, me.user_id, forms.record_id(announcement_id, "announcement"),
                                    now=ctx.clock.now())
    return redirect(request, "/console", flash="Announcement dismissed.")


@get("/{rest:path}", sync_to_thread=True)
def unknown(request: Request, me: Principal, rest: str) -> Response:
    """Any other address under /console: a page that says so (not the API's JSON 404)."""
    raise NotFound(f"there is no console page at {request.url.path[:200]}")


ROUTES = [home, dismiss, unknown]
