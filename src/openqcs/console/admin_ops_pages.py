"""Administration of the machines: processors (import an ISA, synthesize one, grant access),
announcements and maintenance windows. Admins only; the same services the CLI calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile

from openqcs.console import forms
from openqcs.console.web import redirect, render
from openqcs.context import AppContext
from openqcs.errors import InvalidArgument
from openqcs.identity.principal import Principal
from openqcs.identity.service import require_user_by_email
from openqcs.processors import service as processors
from openqcs.processors.isa import parse_document
from openqcs.processors.synth import synthesize
from openqcs.reservations import service as reservations
from openqcs.viewer import service as viewer

HERE = "/console/admin/operations"


@get("/admin/operations", sync_to_thread=True)
def operations_page(request: Request, ctx: AppContext, admin: Principal) -> Response:
    now = ctx.clock.now()
    with ctx.db.session() as session:
        summaries = processors.processor_summaries(session)
        windows = [(p["id"], w) for p in summaries for w in reservations.maintenance_windows(session, p["id"], now)]
        announcements = viewer.all_announcements(session)
    return render(request, "admin_operations.html", title="Admin · operations", processors=summaries,
                  windows=windows, announcements=announcements, now=now)


def _flag(form: Mapping[str, str], name: str) -> bool | None:
    return {"yes": True, "no": False}.get(form.get(name, ""))


def _store(ctx: AppContext, doc: dict[str, Any], processor_id: str | None, public: bool | None,
           noiseless: bool | None) -> str:
    with ctx.db.session(write=True) as session:
        version = processors.import_isa(session, doc, now=ctx.clock.now(), processor_id=processor_id or None,
                                        public=public, noiseless=noiseless)
        return f"{version.processor_id}: ISA version {version.version} stored."


@post("/admin/processors/import")
async def import_isa(request: Request, ctx: AppContext, admin: Principal) -> Response:
    form = await request.form()
    upload = form.get("isa")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidArgument("choose an ISA JSON file to import")
    doc = parse_document(await upload.read())
    message = await anyio.to_thread.run_sync(_store, ctx, doc, str(form.get("processor_id") or "").strip(),
                                             _flag(form, "public"), _flag(form, "noiseless"))
    return redirect(request, HERE, flash=message)


@post("/admin/processors/synth", sync_to_thread=True)
def synth(request: Request, ctx: AppContext, admin: Principal, form: dict[str, str]) -> Response:
    rows = forms.whole(form.get("rows"), "Rows", low=1, high=64)
    cols = forms.whole(form.get("cols"), "Columns", low=1, high=64)
    seed = forms.whole(form.get("seed") or "0", "Seed", low=0, high=2**31)
    family = form.get("family") or "Ankaa"
    processor_id = processors.check_processor_id(form.get("processor_id") or f"{family}-{rows}x{cols}-s{seed}")
    doc = synthesize(processor_id, rows=rows, cols=cols, seed=seed, now=ctx.clock.now(), family=family)
    return redirect(request, HERE, flash=_store(ctx, doc, processor_id, _flag(form, "public"),
                                                _flag(form, "noiseless")))


@post("/admin/processors/grant", sync_to_thread=True)
def grant(request: Request, ctx: AppContext, admin: Principal, form: dict[str, str]) -> Response:
    kind, _, name = form.get("account", "").partition(":")
    processor_id = form.get("processor_id", "")
    with ctx.db.session(write=True) as session:
        if kind == "user":
            name = require_user_by_email(session, name).idp_id
        added = processors.grant(session, processor_id, account_type=kind, account_id=name)
    return redirect(request, HERE, flash=f"Granted {form.get('account')} access to {processor_id}." if added
                    else f"{form.get('account')} already had access to {processor_id}.")


@post("/admin/announcements", sync_to_thread=True)
def announce(request: Request, ctx: AppContext, admin: Principal, form: dict[str, str]) -> Response:
    expires = forms.when(form["expires"], "Expires") if form.get("expires") else None
    with ctx.db.session(write=True) as session:
        viewer.create_announcement(session, content_html=form.get("content", ""), now=ctx.clock.now(),
                                   title=form.get("title", ""), expires_time=expires)
    return redirect(request, HERE, flash="Announcement published.")


@post("/admin/maintenance", sync_to_thread=True)
def add_maintenance(request: Request, ctx: AppContext, admin: Principal, form: dict[str, str]) -> Response:
    start, end = forms.when(form.get("start"), "Start"), forms.when(form.get("end"), "End")
    processor_id = form.get("processor_id", "")
    with ctx.db.session(write=True) as session:
        processors.get_processor(session, processor_id, admin)
        reservations.add_maintenance(session, processor_id, start, end, form.get("summary", "")[:200],
                                     ctx.clock.now())
    return redirect(request, HERE, flash=f"Maintenance on {processor_id} scheduled.")


@post("/admin/maintenance/{window_id:int}/delete", sync_to_thread=True)
def remove_maintenance(request: Request, ctx: AppContext, admin: Principal, window_id: int,
                       form: dict[str, str]) -> Response:
    with ctx.db.session(write=True) as session:
        reservations.remove_maintenance(session, forms.record_id(window_id, "maintenance window"))
    return redirect(request, HERE, flash=f"Maintenance window {window_id} removed.")


ROUTES = [operations_page, import_isa, synth, grant, announce, add_maintenance, remove_maintenance]
