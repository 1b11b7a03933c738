"""Wire shapes of the endpoint and engagement operations, with the spec's field names."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Datacenter = Literal["berkeley-775", "fremont-fab", "rigetti-gb-1"]
AccountType = Literal["group", "user"]
ProcessorId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Tag = Annotated[str, msgspec.Meta(max_length=200)]


class EndpointAddresses(msgspec.Struct, omit_defaults=True):
    grpc: str | None = None
    rpcq: str | None = None


class EndpointOut(msgspec.Struct, omit_defaults=True):
    id: str
    addresses: EndpointAddresses
    healthy: bool
    mock: bool
    datacenter: str
    quantumProcessorIds: list[str]
    address: str | None = None


class ListEndpointsResponse(msgspec.Struct, omit_defaults=True):
    endpoints: list[EndpointOut]
    # Omitted on the last page (an empty string makes Rigetti's SDKs loop).
    nextPageToken: str | None = None


class CreateEndpointParameters(msgspec.Struct, forbid_unknown_fields=False):
    quantumProcessorIds: Annotated[list[ProcessorId], msgspec.Meta(max_length=50)] = []
    datacenters: Annotated[list[Datacenter], msgspec.Meta(max_length=3)] = []


class RestartEndpointRequest(msgspec.Struct, forbid_unknown_fields=False):
    componentName: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None


class CreateEngagementRequest(msgspec.Struct, forbid_unknown_fields=False):
    accountId: Annotated[str, msgspec.Meta(min_length=1, max_length=320)] | None = None
    accountType: AccountType | None = None
    endpointId: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    quantumProcessorId: ProcessorId | None = None
    tags: Annotated[list[Tag], msgspec.Meta(max_length=50)] = []


class EngagementCredentials(msgspec.Struct):
    clientPublic: str
    clientSecret: str
    serverPublic: str


class EngagementWithCredentials(msgspec.Struct):
    address: str
    endpointId: str
    expiresAt: str
    userId: str
    credentials: EngagementCredentials
    accountId: str
    accountType: str
    minimumPriority: int
    quantumProcessorIds: list[str]
    tags: list[str]
