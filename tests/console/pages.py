"""Helpers for the browser tests: users who sign in with a password, and signing in."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from openqcs.identity import service as identity

DEMO_EMAIL, DEMO_PASSWORD = "demo@openqcs.local", "openqcs-demo"
PASSWORD = "console-test-password"


def password_user(server, email: str, *, admin: bool = False) -> str:
    """A user who signs in with ``PASSWORD``, made by the identity service."""
    ctx = server.ctx
    with ctx.db.session(write=True) as session:
        identity.create_user(session, ctx.clock, email, password=PASSWORD, admin=admin)
    return email


def sign_in(page: Page, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> None:
    page.goto("/console/")
    page.get_by_role("link", name=re.compile("^Sign in")).click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/?$"))
