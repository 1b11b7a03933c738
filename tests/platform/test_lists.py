"""Pagination, filter and order (``openqcs.http.lists``) over a real table, on both databases."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from openqcs.errors import InvalidArgument
from openqcs.http.lists import list_query, paginate
from openqcs.identity.models import User
from tests.support.factories import make_user

FIELDS = {"email": str, "id": int, "createdTime": datetime}


def fields_of(user: User) -> dict:
    return {"email": user.email, "id": user.id, "createdTime": user.created_time}


@pytest.fixture
def people(server):
    tag = make_user(server.ctx).email.split("@")[0]
    made = [make_user(server.ctx, email=f"{tag}-{i:02d}@lists.test") for i in range(23)]
    return tag, [m.email for m in made]


def scoped(server, tag):
    with server.ctx.db.session() as session:
        return list(session.scalars(select(User).where(User.email.like(f"{tag}-%")).order_by(User.id)))


def walk(server, tag, params, op="ListGroupUsers"):
    signer = server.ctx.signer
    seen, token, pages = [], None, 0
    while True:
        query = list_query({**params, "pageToken": token}, operation_id=op, signer=signer, scope=tag,
                           fields=FIELDS)
        page = paginate(scoped(server, tag), query, signer, fields_of)
        seen += [u.email for u in page.items]
        pages += 1
        token = page.next_page_token
        if token is None:
            return seen, pages


def test_walks_every_page_without_gaps_or_duplicates(server, people):
    tag, emails = people
    seen, pages = walk(server, tag, {"pageSize": "5"})
    assert seen == emails
    assert pages == 5


def test_filter_and_order_apply_before_paging(server, people):
    tag, emails = people
    seen, _ = walk(server, tag, {"pageSize": "4", "filter": 'email =~ ".*-1[0-9]@.*"', "order": "email desc"})
    assert seen == sorted([e for e in emails if e.rsplit("-", 1)[1].startswith("1")], reverse=True)


def test_tampered_token_is_rejected(server, people):
    tag, _ = people
    signer = server.ctx.signer
    query = list_query({"pageSize": "5"}, operation_id="ListGroupUsers", signer=signer, scope=tag)
    token = paginate(scoped(server, tag), query, signer).next_page_token
    body, mac = token.split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    with pytest.raises(InvalidArgument) as info:
        list_query({"pageToken": forged}, operation_id="ListGroupUsers", signer=signer, scope=tag)
    assert info.value.problems[0].path == ("pageToken",)


def test_token_from_another_query_is_rejected(server, people):
    tag, _ = people
    signer = server.ctx.signer
    query = list_query({"pageSize": "5"}, operation_id="ListGroupUsers", signer=signer, scope=tag)
    token = paginate(scoped(server, tag), query, signer).next_page_token
    with pytest.raises(InvalidArgument, match="different request"):
        list_query({"pageToken": token}, operation_id="ListGroupUsers", signer=signer, scope="someone-else")


@pytest.mark.parametrize("size", ["0", "-3", "ten"])
def test_bad_page_sizes_are_rejected(size):
    from openqcs.http.lists import parse_page_size

    with pytest.raises(InvalidArgument):
        parse_page_size(size, "ListQuantumProcessors")


def test_spec_maximum_page_size_is_enforced():
    from openqcs.http.lists import parse_page_size

    assert parse_page_size(None, "ListInstructionSetArchitectures") == 5
    with pytest.raises(InvalidArgument, match="at most 5"):
        parse_page_size("6", "ListInstructionSetArchitectures")
    assert parse_page_size("5000", "ListQuantumProcessors") == 1000


@pytest.mark.parametrize(
    ("text", "message"),
    [("nosuch == 1", "unknown field 'nosuch'"), ("email ==", "invalid filter"), ('id > "x"', "invalid filter")],
)
def test_bad_filters_name_the_problem(text, message):
    from openqcs.http.lists import parse_filter

    with pytest.raises(InvalidArgument, match=message):
        parse_filter(text, FIELDS)


@pytest.mark.parametrize("text", ["nosuch", "email sideways", "email desc extra"])
def test_bad_orders_are_rejected(text):
    from openqcs.http.lists import parse_order

    with pytest.raises(InvalidArgument):
        parse_order(text, FIELDS)
