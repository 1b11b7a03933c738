from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openqcs.core.models import ServerSecret


def server_secret(session: Session, name: str, size: int = 32) -> bytes:
    """The named secret, created on first use; concurrent first uses agree on one value."""
    found = session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(ServerSecret(name=name, value=secrets.token_bytes(size)))
    except IntegrityError:
        pass
    return session.execute(select(ServerSecret.value).where(ServerSecret.name == name)).scalar_one()
