"""Processor lists and ISAs are answered from memory, yet an import, grant or revoke made
anywhere is seen by both replicas on their very next request."""

from __future__ import annotations

import gzip

import pytest

from openqcs.processors import service
from openqcs.processors.synth import synthesize
from openqcs.processors.wire import DocumentCache
from tests.support.factories import grant_processor, make_synth_processor, make_user
from tests.support.replicas import two_replicas


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def replicas(request, tmp_path_factory):
    first, second = (str(tmp_path_factory.mktemp(f"views-{request.param}-{i}")) for i in (1, 2))
    with two_replicas(request.param, first, second) as servers:
        yield servers


def _get(server, path: str, token: str | None = None, **headers: str):
    with server.client(token) as client:
        return client.get(path, headers=headers)


def _ids(server, token: str | None = None) -> set[str]:
    response = _get(server, "/v1/quantumProcessors", token)
    assert response.status_code == 200, response.text
    return {p["id"] for p in response.json()["quantumProcessors"]}


def _isa(server, processor_id: str, token: str | None = None, **headers: str):
    return _get(server, f"/v1/quantumProcessors/{processor_id}/instructionSetArchitecture", token, **headers)


def test_grant_and_revoke_show_in_lists_and_isas_of_both_replicas_at_once(replicas):
    ctx = replicas[0].ctx
    secret = make_synth_processor(ctx, prefix="Hidden", public=False)
    user = make_user(ctx, groups=("views-team",))
    for server in replicas:
        for _ in range(3):  # warm: later ones come from memory
            assert secret not in _ids(server, user.token)
            assert _isa(server, secret, user.token).status_code == 404
    grant_processor(ctx, secret, "group", "views-team")
    for server in replicas:
        assert secret in _ids(server, user.token)
        assert _isa(server, secret, user.token).json()["name"] == secret
        assert secret not in _ids(server)  # anonymous callers still do not see it
    with ctx.db.session(write=True) as session:
        service.revoke(session, secret, account_type="group", account_id="views-team")
    for server in replicas:
        assert secret not in _ids(server, user.token)
        assert _isa(server, secret, user.token).status_code == 404


def test_a_new_isa_version_replaces_the_served_one_everywhere(replicas):
    ctx = replicas[0].ctx
    processor = make_synth_processor(ctx, prefix="Recal", seed=1)
    before = [_isa(server, processor) for server in replicas for _ in range(2)]
    etags = {r.headers["etag"] for r in before}
    assert len(etags) == 1
    newer = synthesize(processor, rows=2, cols=3, seed=7, now=ctx.clock.now())
    with ctx.db.session(write=True) as session:
        service.import_isa(session, newer, now=ctx.clock.now())
    for server in replicas:
        after = _isa(server, processor)
        assert after.status_code == 200 and after.headers["etag"] not in etags
        assert len(after.json()["architecture"]["nodes"]) == 6
        # A client holding the old document is told to fetch the new one, not "not modified".
        assert _isa(server, processor, **{"if-none-match": before[0].headers["etag"]}).status_code == 200


def test_memory_answers_keep_etag_gzip_and_not_modified(replicas):
    server = replicas[0]
    processor = make_synth_processor(server.ctx, prefix="Zip")
    # httpx asks for gzip unless told otherwise.
    plain = [_isa(server, processor, **{"accept-encoding": "identity"}) for _ in range(3)][-1]
    assert "content-encoding" not in plain.headers
    packed = _isa(server, processor, **{"accept-encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and packed.json() == plain.json()
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    again = _isa(server, processor, **{"if-none-match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert plain.headers["x-request-id"] != again.headers["x-request-id"]


def test_the_document_cache_keeps_its_size_bound_and_still_answers_what_it_cannot_keep():
    cache = DocumentCache(max_bytes=100)
    loads: list[str] = []

    def loader(etag: str, size: int):
        return lambda: loads.append(etag) or bytes(size)

    assert cache.get("a", loader("a", 60)) == bytes(60)
    assert cache.get("a", loader("a", 60)) == bytes(60) and loads == ["a"]  # kept
    cache.get("b", loader("b", 60))  # 120 bytes would exceed the bound: the older one goes
    assert cache.peek("a") is None and cache.peek("b") == bytes(60)
    assert cache.get("big", loader("big", 500)) == bytes(500)  # larger than the bound: answered, not kept
    assert cache.peek("big") is None and cache.peek("b") == bytes(60)
    packed = cache.gzipped("b", bytes(60))
    assert gzip.decompress(packed) == bytes(60) and cache.gzipped("b", b"ignored") == packed
