"""Outgoing mail: SMTP (aiosmtplib) when ``smtp_host`` is set, else the outbox table."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
import anyio
from sqlalchemy import select

from openqcs.context import AppContext
from openqcs.identity.models import OutboxMail

log = logging.getLogger("openqcs.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


async def deliver(ctx: AppContext, mail: Mail) -> None:
    """Send one mail; failures are logged, never raised (callers answer before delivery)."""
    settings = ctx.settings
    if not settings.smtp_host:
        await anyio.to_thread.run_sync(_store, ctx, mail)
        return
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    try:
        await aiosmtplib.send(message, hostname=settings.smtp_host, port=settings.smtp_port, timeout=15)
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("mail to %s failed: %s", mail.to, exc)


def deliver_sync(ctx: AppContext, mail: Mail) -> None:
    """For the CLI, which has no event loop."""
    asyncio.run(deliver(ctx, mail))


def _store(ctx: AppContext, mail: Mail) -> None:
    with ctx.db.session(write=True) as session:
        session.add(OutboxMail(recipient=mail.to, subject=mail.subject, body=mail.body, created_time=ctx.clock.now()))


def outbox(ctx: AppContext, limit: int = 50) -> list[OutboxMail]:
    with ctx.db.session() as session:
        return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(limit)))
