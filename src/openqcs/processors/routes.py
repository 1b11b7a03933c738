"""ListQuantumProcessors, GetQuantumProcessor, GetQuantumProcessorAccessors,
GetInstructionSetArchitecture, ListInstructionSetArchitectures (all JWTBearerOptional)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import msgspec
from litestar import Request, Response, get

from openqcs.context import AppContext
from openqcs.http.lists import list_query, paginate
from openqcs.identity.principal import Principal
from openqcs.processors import service
from openqcs.processors.schemas import (
    ListAccessorsResponse,
    ListQuantumProcessorsResponse,
    QuantumProcessor,
    QuantumProcessorAccessor,
)
from openqcs.processors.views import Key, processor_views, visibility
from openqcs.processors.wire import DocumentCache, bytes_response, document_response

BASE = "/v1/quantumProcessors"
ISA_SUFFIX = "/instructionSetArchitecture"
DOCUMENTS = DocumentCache()


def _scope(viewer: Principal | None) -> str:
    # Page tokens are bound to who listed: another caller's visible set may differ.
    return viewer.idp_id if viewer else "anonymous"


def _processor_ids(ctx: AppContext, viewer: Principal | None) -> list[str]:
    def load() -> list[str]:
        with ctx.db.session() as session:
            return service.list_processor_ids(session, viewer)

    return processor_views(ctx).through(("ids", visibility(viewer)), load)


def list_page(ctx: AppContext, viewer: Principal | None, params: Mapping[str, Any]) -> bytes:
    query = list_query(params, operation_id="ListQuantumProcessors", signer=ctx.signer, scope=_scope(viewer))
    page = paginate(_processor_ids(ctx, viewer), query, ctx.signer)
    body = ListQuantumProcessorsResponse([QuantumProcessor(i) for i in page.items], page.next_page_token)
    return msgspec.json.encode(body)


def plain_list_key(viewer: Principal | None) -> Key:
    """The key of the first page without parameters (its token is bound to the caller)."""
    return ("page", _scope(viewer), visibility(viewer))


@get(BASE, operation_id="ListQuantumProcessors", sync_to_thread=True)
def list_quantum_processors(ctx: AppContext, viewer: Principal | None, request: Request) -> Response:
    if request.scope["query_string"]:
        return bytes_response(request, list_page(ctx, viewer, request.query_params))
    body = processor_views(ctx).through(plain_list_key(viewer), lambda: list_page(ctx, viewer, {}))
    return bytes_response(request, body)


@get(BASE + "/{quantum_processor_id:str}", operation_id="GetQuantumProcessor", sync_to_thread=True)
def get_quantum_processor(ctx: AppContext, viewer: Principal | None, quantum_processor_id: str) -> QuantumProcessor:
    with ctx.db.session() as session:
        processor = service.get_processor(session, quantum_processor_id, viewer)
    return QuantumProcessor(processor.id)


@get(BASE + "/{quantum_processor_id:str}/accessors", operation_id="GetQuantumProcessorAccessors",
     sync_to_thread=True)
def get_quantum_processor_accessors(ctx: AppContext, viewer: Principal | None,
                                    quantum_processor_id: str) -> ListAccessorsResponse:
    # qcs-sdk 0.21 sends pageSize here though the spec has no parameters: unknown ones are ignored.
    with ctx.db.session() as session:
        found = service.accessors(session, quantum_processor_id, viewer, ctx.settings)
    return ListAccessorsResponse([QuantumProcessorAccessor(**a) for a in found])


def _loader(ctx: AppContext, version_id: int) -> Callable[[], bytes]:
    def load() -> bytes:
        with ctx.db.session() as session:
            return service.isa_documents(session, [version_id])[version_id]

    return load


def isa_key(viewer: Principal | None, processor_id: str) -> Key:
    return ("isa", visibility(viewer), processor_id)


def served_isa(ctx: AppContext, viewer: Principal | None, processor_id: str) -> service.IsaRef:
    """The ISA reference ``viewer`` gets (NotFound otherwise), from memory while nothing changed."""
    def load() -> service.IsaRef:
        with ctx.db.session() as session:
            return service.served_isa(session, processor_id, viewer)

    return processor_views(ctx).through(isa_key(viewer, processor_id), load)


@get(BASE + "/{quantum_processor_id:str}" + ISA_SUFFIX, operation_id="GetInstructionSetArchitecture",
     sync_to_thread=True)
def get_instruction_set_architecture(ctx: AppContext, viewer: Principal | None, request: Request,
                                     quantum_processor_id: str) -> Response:
    ref = served_isa(ctx, viewer, quantum_processor_id)
    return document_response(request, DOCUMENTS, ref.etag, _loader(ctx, ref.version_id))


@get("/v1/instructionSetArchitectures", operation_id="ListInstructionSetArchitectures", sync_to_thread=True)
def list_instruction_set_architectures(ctx: AppContext, viewer: Principal | None, request: Request) -> Response:
    query = list_query(request.query_params, operation_id="ListInstructionSetArchitectures", signer=ctx.signer,
                       scope=_scope(viewer))
    with ctx.db.session() as session:
        page = paginate(service.served_isas(session, viewer), query, ctx.signer)
        cached = {r.etag: DOCUMENTS.peek(r.etag) for r in page.items}
        missing = [r.version_id for r in page.items if cached[r.etag] is None]
        loaded = service.isa_documents(session, missing) if missing else {}
    # Splice the stored bytes into the envelope: the documents are never re-serialized.
    docs = [cached[r.etag] or DOCUMENTS.get(r.etag, partial(loaded.__getitem__, r.version_id)) for r in page.items]
    body = b'{"instructionSetArchitectures":[' + b",".join(docs) + b"]"
    if page.next_page_token is not None:
        body += b',"nextPageToken":' + msgspec.json.encode(page.next_page_token)
    return bytes_response(request, body + b"}")


ROUTES = [
    list_quantum_processors,
    get_quantum_processor,
    get_quantum_processor_accessors,
    get_instruction_set_architecture,
    list_instruction_set_architectures,
]
