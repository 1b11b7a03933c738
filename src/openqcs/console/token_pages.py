"""The access-token page: a copyable access token and the ``settings.toml`` / ``secrets.toml``
pair that ``openqcs client-config`` writes (written by the same code, so the two never differ)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from litestar import Request, Response, get, post

from openqcs.console import signin
from openqcs.console.web import render
from openqcs.context import AppContext
from openqcs.identity import issuer
from openqcs.identity.principal import Principal
from openqcs.identity.qcsconfig import write_profile
from openqcs.identity.service import get_user

PROFILE = "openqcs"


def _files(ctx: AppContext, access_token: str, refresh_token: str) -> tuple[str, str]:
    settings = ctx.settings
    forest = {name: url for name, port, url in (("quilc_url", settings.quilc_port, settings.quilc_url),
                                                ("qvm_url", settings.qvm_port, settings.qvm_url)) if port}
    # An external issuer's refresh token belongs to the console's client there.
    client_id = signin.CLIENT_ID if ctx.tokens.external else "openqcs"
    with tempfile.TemporaryDirectory(prefix="openqcs-console-") as directory:
        written = write_profile(Path(directory), PROFILE, api_url=settings.api_url, grpc_url=settings.grpc_url,
                                issuer=settings.issuer, client_id=client_id, access_token=access_token,
                                refresh_token=refresh_token, applications=forest)
        return written[0].read_text(), written[1].read_text()


def _client_tokens(ctx: AppContext, request: Request, me: Principal) -> tuple[str, str]:
    """A token pair of its own for the client (signing out of the console must not end it)."""
    if ctx.tokens.external:
        session = request.state.console_session
        return session.access_token, session.refresh_token
    with ctx.db.session(write=True) as db:
        grant = issuer.grant_for_user(ctx, db, get_user(db, me), "openqcs")
    body = issuer.sign(ctx, grant)
    return body["access_token"], body["refresh_token"]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@get("/token", sync_to_thread=True)
def token_page(request: Request, ctx: AppContext, me: Principal) -> Response:
    session = request.state.console_session
    settings_toml, _ = _files(ctx, "<access token>", "<refresh token>")
    return render(request, "token.html", title="Access token", access_token=session.access_token,
                  settings_toml=settings_toml, https=ctx.settings.issuer.startswith("https://"))


@get("/token/settings.toml", sync_to_thread=True)
def settings_download(ctx: AppContext, me: Principal) -> Response:
    settings_toml, _ = _files(ctx, "", "")
    return Response(settings_toml, media_type="application/toml", headers=_attachment("settings.toml"))


@post("/token/secrets.toml", sync_to_thread=True)
def secrets_download(request: Request, ctx: AppContext, me: Principal) -> Response:
    _, secrets_toml = _files(ctx, *_client_tokens(ctx, request, me))
    return Response(secrets_toml, media_type="application/toml", status_code=200, headers=_attachment("secrets.toml"))


ROUTES = [token_page, settings_download, secrets_download]
