"""``openqcs admin user|group|token|mail …`` and ``openqcs client-config``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from openqcs.commands import DatabaseUrl, DataDir
from openqcs.commands import admin_context as _context
from openqcs.config import Settings
from openqcs.context import AppContext
from openqcs.identity import issuer, service
from openqcs.identity.mail import deliver_sync, outbox
from openqcs.identity.principal import OPERATOR

user_app = typer.Typer(help="Users: create, list, disable, service accounts.", no_args_is_help=True)
group_app = typer.Typer(help="Groups and their members.", no_args_is_help=True)
token_app = typer.Typer(help="Issue and revoke tokens.", no_args_is_help=True)
mail_app = typer.Typer(help="The mail outbox (used when no SMTP server is configured).", no_args_is_help=True)
groups = {"user": user_app, "group": group_app, "token": token_app, "mail": mail_app}

# The CLI acts with administrator rights.




def _tokens(ctx: AppContext, email: str, ttl: int | None = None, client_id: str = "openqcs") -> dict[str, Any]:
    with ctx.db.session(write=True) as session:
        grant = issuer.grant_for_user(ctx, session, service.require_user_by_email(session, email), client_id)
    return issuer.sign(ctx, grant, ttl)


@user_app.command("create")
def user_create(
    email: str,
    password: Annotated[str | None, typer.Option(
        help="Set a password (visible in the process list: prefer --password-stdin or --ask-password); "
             "without one an activation mail is sent.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    ask_password: Annotated[bool, typer.Option("--ask-password", help="Prompt for the password.")] = False,
    admin: Annotated[bool, typer.Option("--admin", help="Give the administrator role.")] = False,
    first_name: Annotated[str, typer.Option()] = "",
    last_name: Annotated[str, typer.Option()] = "",
    organization: Annotated[str, typer.Option()] = "",
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Create a user (with a password, or invited by mail to activate)."""
    password = _password(password, password_stdin, ask_password)
    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            user = service.create_user(session, ctx.clock, email, password=password, admin=admin,
                                       first_name=first_name, last_name=last_name, organization=organization)
            mail = None if password is not None else service.invite(session, ctx.clock, ctx.settings, user)
            session.flush()
            out = {"idpId": user.idp_id, "email": user.email, "admin": user.is_admin, "activated": user.activated}
        if mail is not None:
            deliver_sync(ctx, mail)
        typer.echo(json.dumps(out))


def _password(given: str | None, from_stdin: bool, ask: bool) -> str | None:
    """The password from exactly one source: --password, --password-stdin or --ask-password."""
    if (given is not None) + from_stdin + ask > 1:
        raise typer.BadParameter("give the password one way: --password, --password-stdin or --ask-password")
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise typer.BadParameter("--password-stdin: stdin held no password")
        return line
    if ask:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    return given


@user_app.command("list")
def user_list(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """One line per user: idpId, email, flags."""
    with _context(database_url, data_dir) as ctx, ctx.db.session() as session:
        for u in service.list_users(session):
            flags = [f for f, on in (("admin", u.is_admin), ("disabled", u.disabled),
                                     ("not-activated", not u.activated)) if on]
            typer.echo(f"{u.idp_id}\t{u.email}\t{','.join(flags)}")


@user_app.command("disable")
def user_disable(
    email: str,
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again instead.")] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Disable a user: their tokens stop working and refresh tokens are revoked."""
    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            service.set_disabled(session, ctx.clock, email, disabled=not enable)
        typer.echo(f"{email} {'enabled' if enable else 'disabled'}")


@user_app.command("enable")
def user_enable(email: str, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Enable a disabled user again (their old refresh tokens stay revoked: they log in anew)."""
    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            service.set_disabled(session, ctx.clock, email, disabled=False)
        typer.echo(f"{email} enabled")


@user_app.command("delete")
def user_delete(email: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask to confirm.")] = False,
                database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Delete a user with their memberships, tokens and service accounts."""
    with _context(database_url, data_dir) as ctx:
        if not yes:
            typer.confirm(f"delete {email} for good?", abort=True)
        with ctx.db.session(write=True) as session:
            session.delete(service.require_user_by_email(session, email))
        typer.echo(f"{email} deleted")


@user_app.command("service-account")
def user_service_account(email: str, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Create client_credentials for a user (created if missing); prints client_id and client_secret once."""
    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            user = service.user_by_email(session, email)
            if user is None:
                user = service.create_user(session, ctx.clock, email)
                user.activated = True  # logs in only by client credentials
                session.flush()
            client_id, secret = issuer.create_service_client(session, ctx, user)
        typer.echo(json.dumps({"client_id": client_id, "client_secret": secret,
                               "token_endpoint": f"{ctx.settings.issuer}/v1/token"}))


@group_app.command("create")
def group_create(name: str, description: Annotated[str, typer.Option()] = "",
                 database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Create a group."""
    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            service.create_group(session, ctx.clock, name, description)
        typer.echo(f"group {name} created")


@group_app.command("list")
def group_list(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """One line per group: name, member count, description."""
    from sqlalchemy import func, select

    from openqcs.identity.models import Group, Membership

    with _context(database_url, data_dir) as ctx, ctx.db.session() as session:
        members = func.count(Membership.user_id)
        rows = session.execute(select(Group.name, Group.description, members)
                               .outerjoin(Membership, Membership.group_id == Group.id)
                               .group_by(Group.id, Group.name, Group.description).order_by(Group.name))
        for name, description, count in rows:
            typer.echo(f"{name}\t{count} member{'' if count == 1 else 's'}\t{description}")


@group_app.command("add-user")
def group_add_user(group: str, email: str, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Add a user (by email) to a group."""
    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            service.add_group_user(session, ctx.clock, OPERATOR, group_name=group, user_email=email)
        typer.echo(f"{email} is a member of {group}")


@group_app.command("remove-user")
def group_remove_user(group: str, email: str, database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Remove a user (by email) from a group."""
    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            service.remove_group_user(session, ctx.clock, OPERATOR, group_name=group, user_email=email)
        typer.echo(f"{email} removed from {group}")


@token_app.command("issue")
def token_issue(
    user: Annotated[str, typer.Option("--user", help="The user's email.")],
    ttl: Annotated[int | None, typer.Option("--ttl", min=1, help="Access token lifetime in seconds.")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Print JSON with an access_token and a refresh_token for a user."""
    with _context(database_url, data_dir) as ctx:
        typer.echo(json.dumps(_tokens(ctx, user, ttl)))


@token_app.command("revoke")
def token_revoke(user: Annotated[str, typer.Option("--user", help="The user's email.")],
                 database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Revoke every refresh token of a user."""
    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            service.revoke_refresh_tokens(session, ctx.clock, service.require_user_by_email(session, user).id)
        typer.echo(f"refresh tokens of {user} revoked")


@token_app.command("rotate-key")
def token_rotate_key(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Sign new tokens with a new key; the old key stays in the JWKS until its tokens expire."""
    from openqcs.identity.tokens import rotate_signing_key

    with _context(database_url, data_dir) as ctx:
        with ctx.db.session(write=True) as session:
            kid = rotate_signing_key(session, ctx.clock).kid
        typer.echo(f"new signing key {kid}")


@mail_app.command("list")
def mail_list(limit: Annotated[int, typer.Option(min=1)] = 50, database_url: DatabaseUrl = None,
              data_dir: DataDir = None) -> None:
    """Show the newest mails of the outbox."""
    with _context(database_url, data_dir) as ctx:
        for mail in outbox(ctx, limit):
            typer.echo(f"--- #{mail.id} {mail.created_time.isoformat()} to {mail.recipient}\n"
                       f"Subject: {mail.subject}\n\n{mail.body}")


def client_config(
    user: Annotated[str, typer.Option("--user", help="The user's email.")],
    dir: Annotated[Path, typer.Option("--dir", help="Where settings.toml and secrets.toml go.")] = Path("~/.qcs"),
    profile: Annotated[str, typer.Option("--profile", help="Profile name (made the default).")] = "openqcs",
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Write a Rigetti client profile (qcs-api-client, qcs-sdk-python, pyquil) for this server."""
    from openqcs.identity.qcsconfig import write_profile

    with _context(database_url, data_dir) as ctx:
        tokens = _tokens(ctx, user)
        settings = ctx.settings
        written = write_profile(dir.expanduser(), profile, api_url=settings.api_url, grpc_url=settings.grpc_url,
                                issuer=settings.issuer, client_id="openqcs", access_token=tokens["access_token"],
                                refresh_token=tokens["refresh_token"], applications=_forest_urls(settings))
        typer.echo(f"wrote profile '{profile}' to {written[0]} and {written[1]}")
        if settings.issuer.startswith("https://") and not settings.oidc_issuer:
            from openqcs.identity.server import BUNDLE

            bundle = Path(settings.data_dir).resolve() / "tls" / BUNDLE
            typer.echo(f"trust the issuer's CA (it refreshes your tokens): export SSL_CERT_FILE={bundle}")


def _forest_urls(settings: Settings) -> dict[str, str]:
    urls = {}
    if settings.quilc_port:
        urls["quilc_url"] = settings.quilc_url
    if settings.qvm_port:
        urls["qvm_url"] = settings.qvm_url
    return urls


commands = [client_config]
