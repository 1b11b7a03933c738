"""Password reset and activation by mail, through a real SMTP server (an aiosmtpd sink)."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from openqcs.identity import service
from openqcs.identity.mail import deliver_sync
from openqcs.identity.models import OneTimeToken
from tests.identity.util import make_password_user, password_login, token_in


def _email() -> str:
    return f"mail-{secrets.token_hex(4)}@example.test"


def test_reset_by_mail_is_single_use(idserver, smtp):
    email = _email()
    make_password_user(idserver, email, "old-password-1")
    with idserver.client() as api:
        assert api.post("/v1/auth:emailPasswordResetToken", json={"email": email}).status_code == 204
        token = token_in(smtp.wait_for(email, "Reset"), "Reset token")
        weak = api.post("/v1/auth:resetPasswordWithToken", json={"token": token, "newPassword": "weak"})
        assert weak.status_code == 422  # and the token survives a refused password
        ok = api.post("/v1/auth:resetPasswordWithToken", json={"token": token, "newPassword": "new-password-2"})
        assert ok.status_code == 204
        again = api.post("/v1/auth:resetPasswordWithToken", json={"token": token, "newPassword": "new-password-3"})
        assert again.status_code == 404 and again.json()["code"] == "not_found"
    assert password_login(idserver, email, "new-password-2").status_code == 200
    assert password_login(idserver, email, "old-password-1").status_code == 400


def test_reset_answers_204_for_unknown_emails_and_sends_nothing(idserver, smtp):
    ghost = _email()
    with idserver.client() as api:
        response = api.post("/v1/auth:emailPasswordResetToken", json={"email": ghost})
        assert response.status_code == 204 and response.content == b""
        assert api.post("/v1/auth:emailPasswordResetToken", json={}).status_code == 422
    # A real user's mail arriving proves the sink was reachable meanwhile.
    email = _email()
    make_password_user(idserver, email, "old-password-1")
    with idserver.client() as api:
        api.post("/v1/auth:emailPasswordResetToken", json={"email": email})
    smtp.wait_for(email, "Reset")
    assert smtp.sent_to(ghost) == []


def test_reset_mails_are_not_sent_more_than_once_a_minute(idserver, smtp):
    email = _email()
    user = make_password_user(idserver, email, "old-password-1")
    with idserver.client() as api:
        for _ in range(3):
            assert api.post("/v1/auth:emailPasswordResetToken", json={"email": email}).status_code == 204
    smtp.wait_for(email, "Reset")
    with idserver.ctx.db.session() as session:
        issued = session.scalar(select(func.count()).select_from(OneTimeToken)
                                .where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == "reset"))
    assert issued == 1


def test_reset_tokens_expire(idserver, smtp):
    email = _email()
    make_password_user(idserver, email, "old-password-1")
    with idserver.client() as api:
        api.post("/v1/auth:emailPasswordResetToken", json={"email": email})
        token = token_in(smtp.wait_for(email, "Reset"), "Reset token")
        idserver.move_clock(2 * 3600)
        try:
            expired = api.post("/v1/auth:resetPasswordWithToken", json={"token": token, "newPassword": "new-password-2"})
        finally:
            idserver.move_clock(0)
        assert expired.status_code == 404
        forged = api.post("/v1/auth:resetPasswordWithToken", json={"token": "made-up", "newPassword": "new-password-2"})
        assert forged.status_code == 404


def test_invited_user_activates_with_the_mailed_token(idserver, smtp):
    ctx = idserver.ctx
    email = _email()
    with ctx.db.session(write=True) as session:
        user = service.create_user(session, ctx.clock, email)
        session.flush()
        mail = service.invite(session, ctx.clock, ctx.settings, user)
    deliver_sync(ctx, mail)  # the same path `openqcs admin user create` takes
    token = token_in(smtp.wait_for(email, "Activate"), "Activation token")
    assert password_login(idserver, email, "chosen-password-1").status_code == 400  # not active yet
    body = {"token": token, "credentials": {"password": {"value": "chosen-password-1"}},
            "profile": {"email": email, "firstName": "Ada", "lastName": "Lovelace", "organization": "Engines"}}
    with idserver.client() as api:
        bad = api.post("/v1/users:activate", json={**body, "token": "wrong"})
        assert bad.status_code == 422 and bad.json()["validationErrors"][0]["path"] == ["token"]
        assert api.post("/v1/users:activate", json={**body, "credentials": {"password": {"value": "x"}}}).status_code == 422
        assert api.post("/v1/users:activate", json=body).status_code == 204
        assert api.post("/v1/users:activate", json=body).status_code == 422  # single use
    login = password_login(idserver, email, "chosen-password-1")
    assert login.status_code == 200
    with idserver.client(login.json()["access_token"]) as api:
        profile = api.get("/v1/auth:getUser").json()["profile"]
    assert profile == {"email": email, "firstName": "Ada", "lastName": "Lovelace", "organization": "Engines"}
