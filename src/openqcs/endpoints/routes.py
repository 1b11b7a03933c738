"""ListEndpoints, CreateEndpoint, GetEndpoint, DeleteEndpoint, RestartEndpoint,
GetDefaultEndpoint and CreateEngagement (all JWTBearer)."""

from __future__ import annotations

from datetime import datetime

import anyio
from litestar import Request, delete, get, post

from openqcs.context import AppContext
from openqcs.endpoints import service
from openqcs.endpoints.schemas import (
    CreateEndpointParameters,
    CreateEngagementRequest,
    EndpointAddresses,
    EndpointOut,
    EngagementCredentials,
    EngagementWithCredentials,
    ListEndpointsResponse,
    RestartEndpointRequest,
)
from openqcs.errors import NotFound
from openqcs.http.accounts import account_from
from openqcs.http.lists import list_query, paginate
from openqcs.identity.principal import Principal

BASE = "/v1/endpoints"
# The fields ListEndpoints filters on, as rule-engine types.
FILTER_FIELDS = {"id": str, "healthy": bool, "datacenter": str, "mock": bool, "quantumProcessorIds": list}


def _fields(info: service.EndpointInfo) -> dict:
    return {"id": info.id, "healthy": info.healthy, "datacenter": info.datacenter, "mock": info.mock,
            "quantumProcessorIds": tuple(info.processor_ids)}


def endpoint_out(info: service.EndpointInfo, ctx: AppContext) -> EndpointOut:
    # Every endpoint is served by openqcs's controller.
    url = ctx.settings.controller_url
    return EndpointOut(id=info.id, addresses=EndpointAddresses(grpc=url), healthy=info.healthy, mock=info.mock,
                       datacenter=info.datacenter, quantumProcessorIds=info.processor_ids, address=url)


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@get(BASE, operation_id="ListEndpoints", sync_to_thread=True)
def list_endpoints(request: Request, ctx: AppContext, principal: Principal) -> ListEndpointsResponse:
    query = list_query(request.query_params, operation_id="ListEndpoints", signer=ctx.signer,
                       scope=principal.idp_id, fields=FILTER_FIELDS)
    with ctx.db.session() as session:
        found = service.list_endpoints(session, principal, ctx.clock.now())
    page = paginate(found, query, ctx.signer, _fields)
    return ListEndpointsResponse([endpoint_out(i, ctx) for i in page.items], page.next_page_token)


@post(BASE, operation_id="CreateEndpoint", status_code=201, sync_to_thread=True)
def create_endpoint(data: CreateEndpointParameters, ctx: AppContext, principal: Principal) -> EndpointOut:
    with ctx.db.session(write=True) as session:
        info = service.create_endpoint(session, principal, data.quantumProcessorIds, ctx.clock.now(),
                                       datacenter=data.datacenters[0] if data.datacenters else None)
    return endpoint_out(info, ctx)


def _get_endpoint(endpoint_id: str, ctx: AppContext, principal: Principal) -> EndpointOut:
    with ctx.db.session() as session:
        return endpoint_out(service.get_endpoint(session, endpoint_id, principal, ctx.clock.now()), ctx)


# Async on purpose: Litestar 2.25 fails the first of three sync_to_thread handlers sharing a path
# (GET, DELETE, POST here) with "coroutine was never awaited"; so this one offloads itself.
@get(BASE + "/{endpoint_id:str}", operation_id="GetEndpoint")
async def get_endpoint(endpoint_id: str, ctx: AppContext, principal: Principal) -> EndpointOut:
    return await anyio.to_thread.run_sync(_get_endpoint, endpoint_id, ctx, principal)


@delete(BASE + "/{endpoint_id:str}", operation_id="DeleteEndpoint", status_code=204, sync_to_thread=True)
def delete_endpoint(endpoint_id: str, ctx: AppContext, principal: Principal) -> None:
    with ctx.db.session(write=True) as session:
        service.delete_endpoint(session, endpoint_id, principal, ctx.clock.now())


# The spec's path is /v1/endpoints/{endpointId}:restart, which Litestar cannot route as written.
@post(BASE + "/{endpoint_id:str}", operation_id="RestartEndpoint", status_code=204, sync_to_thread=True)
def restart_endpoint(endpoint_id: str, ctx: AppContext, principal: Principal,
                     data: RestartEndpointRequest | None = None) -> None:
    endpoint_id, colon, action = endpoint_id.rpartition(":")
    if not colon or action != "restart" or not endpoint_id:
        raise NotFound(f"no route for POST {BASE}/{endpoint_id}{colon}{action}")
    with ctx.db.session(write=True) as session:
        service.restart_endpoint(session, endpoint_id, principal, ctx.clock.now(),
                                 data.componentName if data else None)


@get("/v1/quantumProcessors/{quantum_processor_id:str}/endpoints:getDefault", operation_id="GetDefaultEndpoint",
     sync_to_thread=True)
def get_default_endpoint(quantum_processor_id: str, ctx: AppContext, principal: Principal) -> EndpointOut:
    with ctx.db.session() as session:
        info = service.get_default_endpoint(session, quantum_processor_id, principal, ctx.clock.now())
    return endpoint_out(info, ctx)


@post("/v1/engagements", operation_id="CreateEngagement", status_code=200, sync_to_thread=True)
def create_engagement(data: CreateEngagementRequest, request: Request, ctx: AppContext,
                      principal: Principal) -> EngagementWithCredentials:
    account = account_from(request, principal, data.accountId, data.accountType)
    with ctx.db.session(write=True) as session:
        grant = service.create_engagement(session, principal, account, ctx.clock.now(),
                                          endpoint_id=data.endpointId, processor_id=data.quantumProcessorId,
                                          tags=data.tags)
    url = ctx.settings.controller_url
    return EngagementWithCredentials(
        address=url, endpointId=grant.endpoint.id, expiresAt=_rfc3339(grant.expires_at), userId=grant.user_id,
        credentials=EngagementCredentials(clientPublic=grant.client_public, clientSecret=grant.client_secret,
                                          serverPublic=grant.endpoint.server_public),
        accountId=grant.account.id, accountType=grant.account.type, minimumPriority=grant.minimum_priority,
        quantumProcessorIds=grant.endpoint.processor_ids, tags=grant.tags)


ROUTES = [list_endpoints, create_endpoint, get_endpoint, delete_endpoint, restart_endpoint, get_default_endpoint,
          create_engagement]
