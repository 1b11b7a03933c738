"""Jobs: the caller's jobs with status, processor, shots, times and duration (a small timeline),
results as JSON, and cancelling a queued or running job."""

from __future__ import annotations

import msgspec
from litestar import Request, Response, get, post

from openqcs.console.web import redirect, render
from openqcs.context import AppContext
from openqcs.errors import Conflict
from openqcs.execution import queries
from openqcs.identity.principal import Principal


def _job_id(raw: str) -> str:
    return raw[:64]


@get("/jobs", sync_to_thread=True)
def jobs_page(request: Request, ctx: AppContext, me: Principal) -> Response:
    with ctx.db.session() as session:
        jobs = queries.list_my_jobs(session, me)
    now = ctx.clock.now()
    span = max([(j.wait_seconds or 0) + (j.run_seconds or 0) for j in jobs] + [0.001])
    return render(request, "jobs.html", title="Jobs", jobs=jobs, span=span, now=now)


@get("/jobs/{job_id:str}/result.json", sync_to_thread=True)
def result_download(ctx: AppContext, me: Principal, job_id: str) -> Response:
    # Imported here: they pull in protobuf and numpy, which the serving process need not load at start.
    from google.protobuf.json_format import MessageToDict

    from openqcs.execution import controller
    from openqcs.execution.proto import models_controller_pb2 as pb

    with ctx.db.session() as session:
        raw = controller.finished_result(session, me, _job_id(job_id))
    if raw is None:
        raise Conflict(f"job '{job_id}' has not finished yet; its results are not ready")
    message = pb.ControllerJobExecutionResult.FromString(raw)
    body = MessageToDict(message, preserving_proto_field_name=True)
    return Response(msgspec.json.encode(body), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{_job_id(job_id)}.json"'})


@post("/jobs/{job_id:str}/cancel", sync_to_thread=True)
def cancel(request: Request, ctx: AppContext, me: Principal, job_id: str) -> Response:
    from openqcs.execution import controller, notify

    with ctx.db.session(write=True) as session:
        changed = controller.cancel(session, me, [_job_id(job_id)], ctx.clock.now())
    notify.finished(changed)
    return redirect(request, "/console/jobs", flash=f"Cancelled job {job_id}." if changed
                    else f"Job {job_id} was already cancelled.")


ROUTES = [jobs_page, result_download, cancel]
