"""Processors: the list, one processor's lattice, calibration, calendar, and the ISA download."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get
from sqlalchemy.orm import Session

from openqcs.console import calendar
from openqcs.console.lattice import METRICS, lattice
from openqcs.console.web import render
from openqcs.context import AppContext
from openqcs.identity.principal import Principal
from openqcs.processors import service


def _isa(session: Session, processor_id: str, me: Principal) -> bytes:
    ref = service.served_isa(session, processor_id, me)
    return service.isa_documents(session, [ref.version_id])[ref.version_id]


@get("/processors", sync_to_thread=True)
def processors(request: Request, ctx: AppContext, me: Principal) -> Response:
    with ctx.db.session() as session:
        refs = {r.processor_id: r for r in service.served_isas(session, me)}
        docs = service.isa_documents(session, [r.version_id for r in refs.values()])
        rows = []
        for processor_id in service.list_processor_ids(session, me):
            ref = refs.get(processor_id)
            isa = msgspec.json.decode(docs[ref.version_id]) if ref else {}
            arch = isa.get("architecture") or {}
            rows.append({"id": processor_id, "family": arch.get("family", ""), "qubits": len(arch.get("nodes") or []),
                         "edges": len(arch.get("edges") or []), "has_isa": ref is not None})
    return render(request, "processors.html", title="Quantum processors", processors=rows)


@get("/processors/{processor_id:str}", sync_to_thread=True)
def processor(request: Request, ctx: AppContext, me: Principal, processor_id: str) -> Response:
    metric = request.query_params.get("metric", "fRO")
    now = ctx.clock.now()
    with ctx.db.session() as session:
        found = service.get_processor(session, processor_id, me)
        isa = msgspec.json.decode(_isa(session, processor_id, me))
        days = calendar.week(session, me, processor_id, now)
    drawn = lattice(isa, metric)
    return render(request, "processor.html", title=f"{found.id} · processor", processor=found, lattice=drawn,
                  metrics=METRICS, days=days, now=now)


@get("/processors/{processor_id:str}/isa.json", sync_to_thread=True)
def isa_download(ctx: AppContext, me: Principal, processor_id: str) -> Response:
    with ctx.db.session() as session:
        body = _isa(session, processor_id, me)
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{processor_id}-isa.json"'})


ROUTES = [processors, processor, isa_download]
