"""The admin API's test-setup calls: users with tokens, groups, credit, processors.

They let a test process shape the server over HTTP alone (the pytest plugin's handle), so the
test's own environment needs none of the server's dependencies.
"""

from __future__ import annotations

from typing import Any

import anyio
import msgspec
from litestar import Request, get, post
from sqlalchemy.orm import Session

from openqcs.context import AppContext
from openqcs.core.admin_auth import ADMIN, decode_body
from openqcs.errors import InvalidArgument

PREFIX = "/admin/v1"


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    groups: list[str] = []
    admin: bool = False
    password: str | None = None
    creditCents: int = 0


class NewGroup(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    description: str = ""
    members: list[str] = []


class NewCredit(msgspec.Struct, forbid_unknown_fields=True):
    cents: int
    user: str | None = None
    group: str | None = None
    note: str = "Credit (admin API)"


class NewProcessor(msgspec.Struct, forbid_unknown_fields=True):
    id: str | None = None
    isa: dict[str, Any] | None = None
    rows: int = 2
    cols: int = 2
    seed: int = 0
    public: bool = True
    noiseless: bool = False




def _tokens(ctx: AppContext, email: str) -> dict[str, Any]:
    from openqcs.identity import issuer, service

    with ctx.db.session(write=True) as session:
        grant = issuer.grant_for_user(ctx, session, service.require_user_by_email(session, email))
    body = issuer.sign(ctx, grant)
    return {"email": grant.email, "idpId": grant.uid, "accessToken": body["access_token"],
            "refreshToken": body["refresh_token"]}


def _add_members(session: Session, ctx: AppContext, group: str, description: str, emails: list[str]) -> None:
    from openqcs.identity import service
    from openqcs.identity.models import Group
    from openqcs.identity.principal import OPERATOR

    if session.query(Group).filter_by(name=group).one_or_none() is None:
        service.create_group(session, ctx.clock, group, description)
        session.flush()
    for email in emails:
        service.add_group_user(session, ctx.clock, OPERATOR, group_name=group, user_email=email)


def _credit(session: Session, ctx: AppContext, cents: int, user: str | None, group: str | None, note: str) -> int:
    from openqcs.billing import service
    from openqcs.identity.accounts import named_account

    account = named_account(session, user_email=user, group_name=group)
    if cents:
        service.credit(session, account, cents, note=note, at=ctx.clock.now())
    return service.balance_cents(session, account)


def create_user(ctx: AppContext, body: NewUser) -> dict[str, Any]:
    from openqcs.identity import service

    with ctx.db.session(write=True) as session:
        user = service.create_user(session, ctx.clock, body.email, password=body.password, admin=body.admin)
        user.activated = True  # made by an administrator: no activation mail
        session.flush()
        for group in body.groups:
            _add_members(session, ctx, group, "", [user.email])
        if body.creditCents:
            _credit(session, ctx, body.creditCents, user.email, None, "Credit (admin API)")
    return _tokens(ctx, body.email)


def create_processor(ctx: AppContext, body: NewProcessor) -> dict[str, Any]:
    from openqcs.processors import service
    from openqcs.processors.synth import synthesize

    if body.isa is None:
        if not body.id:
            raise InvalidArgument.field("body", "id", "give the processor's id (synthesized) or an isa document")
        if not (1 <= body.rows <= 20 and 1 <= body.cols <= 20):
            raise InvalidArgument.field("body", "rows", "rows and cols must be within 1..20")
        doc = synthesize(body.id, rows=body.rows, cols=body.cols, seed=body.seed, now=ctx.clock.now())
    else:
        doc = body.isa
    with ctx.db.session(write=True) as session:
        version = service.import_isa(session, doc, now=ctx.clock.now(), processor_id=body.id, public=body.public,
                                     noiseless=body.noiseless)
        return {"id": version.processor_id, "isaVersion": version.version}


async def _decode(request: Request, kind: type) -> Any:
    return decode_body(await request.body(), kind)


@post(f"{PREFIX}/users", include_in_schema=False, dependencies=ADMIN, status_code=201)
async def admin_create_user(ctx: AppContext, operator: str, request: Request) -> dict[str, Any]:
    """An active user (in ``groups``, with ``creditCents``) and their tokens."""
    body = await _decode(request, NewUser)
    return await anyio.to_thread.run_sync(create_user, ctx, body)


@post(f"{PREFIX}/users/{{email:str}}/tokens", include_in_schema=False, dependencies=ADMIN, status_code=201)
async def admin_issue_tokens(ctx: AppContext, operator: str, email: str) -> dict[str, Any]:
    return await anyio.to_thread.run_sync(_tokens, ctx, email)


@post(f"{PREFIX}/groups", include_in_schema=False, dependencies=ADMIN, status_code=201)
async def admin_create_group(ctx: AppContext, operator: str, request: Request) -> dict[str, Any]:
    body = await _decode(request, NewGroup)

    def run() -> None:
        with ctx.db.session(write=True) as session:
            _add_members(session, ctx, body.name, body.description, body.members)

    await anyio.to_thread.run_sync(run)
    return {"name": body.name}


@post(f"{PREFIX}/credit", include_in_schema=False, dependencies=ADMIN, status_code=200)
async def admin_add_credit(ctx: AppContext, operator: str, request: Request) -> dict[str, Any]:
    """Credit a user's (``user``: email) or group's account; answers its balance to spend."""
    body = await _decode(request, NewCredit)

    def run() -> int:
        with ctx.db.session(write=True) as session:
            return _credit(session, ctx, body.cents, body.user, body.group, body.note)

    return {"balanceCents": await anyio.to_thread.run_sync(run)}


@get(f"{PREFIX}/balance", include_in_schema=False, dependencies=ADMIN, sync_to_thread=True)
def admin_balance(ctx: AppContext, operator: str, user: str | None = None, group: str | None = None) -> dict[str, int]:
    with ctx.db.session() as session:
        return {"balanceCents": _credit(session, ctx, 0, user, group, "")}


@post(f"{PREFIX}/processors", include_in_schema=False, dependencies=ADMIN, status_code=201)
async def admin_create_processor(ctx: AppContext, operator: str, request: Request) -> dict[str, Any]:
    """A synthesized square lattice (``id``, ``rows``, ``cols``, ``seed``) or an ``isa`` document."""
    body = await _decode(request, NewProcessor)
    return await anyio.to_thread.run_sync(create_processor, ctx, body)


ROUTES = [admin_create_user, admin_issue_tokens, admin_create_group, admin_add_credit, admin_balance,
          admin_create_processor]
