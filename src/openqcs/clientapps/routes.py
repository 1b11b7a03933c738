"""ListClientApplications, GetClientApplication, CheckClientApplication (no auth needed)."""

from __future__ import annotations

import msgspec
from litestar import get, post

from openqcs.clientapps import service
from openqcs.clientapps.models import ClientApplication
from openqcs.clientapps.schemas import (
    CheckClientApplicationRequest,
    CheckClientApplicationResponse,
    ClientApplicationOut,
    ClientApplicationsDownloadLink,
    ListClientApplicationsResponse,
)
from openqcs.context import AppContext


def _out(app: ClientApplication) -> ClientApplicationOut:
    links = msgspec.convert(app.links, list[ClientApplicationsDownloadLink]) if app.links else None
    return ClientApplicationOut(name=app.name, latestVersion=app.latest_version, supported=app.supported,
                                minimumVersion=app.minimum_version, detailsUri=app.details_uri, links=links)


@get("/v1/clientApplications", operation_id="ListClientApplications", sync_to_thread=True)
def list_client_applications(ctx: AppContext) -> ListClientApplicationsResponse:
    with ctx.db.session() as session:
        return ListClientApplicationsResponse([_out(a) for a in service.list_client_applications(session)])


@get("/v1/clientApplications/{clientApplicationName:str}", operation_id="GetClientApplication",
     sync_to_thread=True)
def get_client_application(clientApplicationName: str, ctx: AppContext) -> ClientApplicationOut:
    with ctx.db.session() as session:
        return _out(service.get_client_application(session, clientApplicationName))


@post("/v1/clientApplications:check", operation_id="CheckClientApplication", status_code=200,
      sync_to_thread=True)
def check_client_application(data: CheckClientApplicationRequest, ctx: AppContext) -> CheckClientApplicationResponse:
    with ctx.db.session() as session:
        result = service.check_client_application(session, data.name, data.version)
    return CheckClientApplicationResponse(isLatestVersion=result.is_latest, isUpdateRequired=result.update_required,
                                          message=result.message)


ROUTES = [list_client_applications, get_client_application, check_client_application]
