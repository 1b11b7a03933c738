"""Wire shapes of the processor operations (the spec's field names)."""

from __future__ import annotations

import msgspec


class QuantumProcessor(msgspec.Struct):
    id: str


class ListQuantumProcessorsResponse(msgspec.Struct, omit_defaults=True):
    quantumProcessors: list[QuantumProcessor]
    nextPageToken: str | None = None


class QuantumProcessorAccessor(msgspec.Struct, omit_defaults=True):
    accessType: str
    live: bool
    url: str
    rank: int | None = None
    id: str | None = None


class ListAccessorsResponse(msgspec.Struct, omit_defaults=True):
    accessors: list[QuantumProcessorAccessor]
    nextPageToken: str | None = None
