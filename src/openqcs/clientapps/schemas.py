"""Wire shapes of the client application operations, with the spec's field names."""

from __future__ import annotations

import msgspec


class ChecksumDescription(msgspec.Struct):
    headerName: str
    type: str


class ClientApplicationsDownloadLink(msgspec.Struct, omit_defaults=True):
    url: str
    platform: str | None = None
    checksumDescription: ChecksumDescription | None = None


class ClientApplicationOut(msgspec.Struct, omit_defaults=True):
    name: str
    latestVersion: str
    supported: bool
    minimumVersion: str | None = None
    detailsUri: str | None = None
    links: list[ClientApplicationsDownloadLink] | None = None


class ListClientApplicationsResponse(msgspec.Struct):
    clientApplications: list[ClientApplicationOut]


class CheckClientApplicationRequest(msgspec.Struct):
    name: str
    version: str


class CheckClientApplicationResponse(msgspec.Struct):
    isLatestVersion: bool
    isUpdateRequired: bool
    message: str
