"""Test data made through the same service code the server uses, on the server's database."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from openqcs.billing import service as billing
from openqcs.context import AppContext
from openqcs.endpoints.service import ensure_default_endpoint
from openqcs.identity.accounts import Account
from openqcs.identity.models import Group, Membership, User
from openqcs.identity.principal import new_idp_id
from openqcs.processors import service as processors
from openqcs.processors.models import Processor, ProcessorAccess
from openqcs.processors.seed import published_isa
from openqcs.processors.synth import synthesize


@dataclass(frozen=True)
class TestUser:
    id: int
    idp_id: str
    email: str
    token: str


def make_user(ctx: AppContext, *, email: str | None = None, groups: tuple[str, ...] = (), admin: bool = False,
              password_hash: str | None = None) -> TestUser:
    email = email or f"user-{secrets.token_hex(4)}@example.test"
    now = ctx.clock.now()
    with ctx.db.session(write=True) as session:
        user = User(idp_id=new_idp_id(), email=email, created_time=now, is_admin=admin, password_hash=password_hash,
                    first_name="Test", last_name="User", organization="", activated=True, disabled=False,
                    onboarding_completed=False)
        session.add(user)
        session.flush()
        for name in groups:
            group = session.query(Group).filter_by(name=name).one_or_none()
            if group is None:
                group = Group(name=name, description="", created_time=now)
                session.add(group)
                session.flush()
            session.add(Membership(group_id=group.id, user_id=user.id, created_time=now))
        user_id, idp_id = user.id, user.idp_id
    token, _ = ctx.tokens.issue_access_token(subject=email, uid=idp_id, groups=list(groups))
    return TestUser(user_id, idp_id, email, token)


def fund(ctx: AppContext, account_type: str, account_id: str, cents: int = 100_000) -> None:
    """Credit an account (jobs are refused without it)."""
    with ctx.db.session(write=True) as session:
        billing.credit(session, Account(account_id, account_type), cents, note="tests", at=ctx.clock.now())


def funded_user(ctx: AppContext, *, cents: int = 100_000, groups: tuple[str, ...] = ()) -> TestUser:
    """A user with credit on their own account and on each of their groups'."""
    user = make_user(ctx, groups=groups)
    fund(ctx, "user", user.idp_id, cents)
    for name in groups:
        fund(ctx, "group", name, cents)
    return user


def make_processor(ctx: AppContext, *, prefix: str = "Test", public: bool = True, noiseless: bool = True,
                   grants: tuple[tuple[str, str], ...] = (), default_endpoint: bool = False) -> str:
    """A processor without an ISA (enough where nothing runs on it), with access grants
    ((account type, account id) pairs) and optionally its default endpoint; returns its id."""
    processor_id = f"{prefix}-{secrets.token_hex(4)}"
    with ctx.db.session(write=True) as session:
        session.add(Processor(id=processor_id, family="Ankaa", public=public, noiseless=noiseless,
                              created_time=ctx.clock.now()))
        session.flush()
        for account_type, account_id in grants:
            session.add(ProcessorAccess(processor_id=processor_id, account_type=account_type, account_id=account_id))
        if default_endpoint:
            ensure_default_endpoint(session, processor_id, now=ctx.clock.now())
    return processor_id


def make_synth_processor(ctx: AppContext, *, prefix: str = "Test", public: bool = True, noiseless: bool = False,
                         rows: int = 2, cols: int = 2, seed: int = 1) -> str:
    """A processor with a synthesized ``rows`` x ``cols`` square-lattice ISA; returns its id."""
    processor_id = f"{prefix}-{secrets.token_hex(3)}"
    doc = synthesize(processor_id, rows=rows, cols=cols, seed=seed, now=ctx.clock.now())
    with ctx.db.session(write=True) as session:
        processors.import_isa(session, doc, now=ctx.clock.now(), public=public, noiseless=noiseless)
    return processor_id


def make_reference_processor(ctx: AppContext, *, source: str = "Aspen-M-3", noiseless: bool = True,
                             public: bool = True, processor_id: str | None = None) -> str:
    """A processor with the published ISA ``source`` (``processors/data``); a fresh id unless one
    is given (then it is created once and reused)."""
    processor_id = processor_id or f"Exec-{secrets.token_hex(3)}"
    with ctx.db.session(write=True) as session:
        if session.get(Processor, processor_id) is None:
            processors.import_isa(session, published_isa(source), now=ctx.clock.now(), processor_id=processor_id,
                                  public=public, noiseless=noiseless)
    return processor_id


def grant_processor(ctx: AppContext, processor_id: str, account_type: str, account_id: str) -> None:
    """Let a user (idpId) or group (name) see a restricted processor."""
    with ctx.db.session(write=True) as session:
        processors.grant(session, processor_id, account_type=account_type, account_id=account_id)


def default_endpoint_id(ctx: AppContext, processor_id: str) -> str:
    """The processor's default endpoint, made if it has none."""
    with ctx.db.session(write=True) as session:
        return ensure_default_endpoint(session, processor_id, now=ctx.clock.now())
