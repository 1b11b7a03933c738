"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from openqcs.errors import InvalidArgument

# OWASP's minimum argon2id profile (19 MiB, 2 passes): a login stays well under 100 ms on 2 cores.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@cache
def _dummy_hash() -> str:
    """Verified against when a user does not exist, so a login takes as long either way."""
    return _hasher.hash(secrets.token_hex(16))


MIN_LENGTH = 10
MAX_LENGTH = 128


def check_policy(password: str, *, email: str = "", field: str = "newPassword") -> None:
    """Raise InvalidArgument (422) naming the rule the password breaks."""
    problem = None
    if len(password) < MIN_LENGTH:
        problem = f"password must be at least {MIN_LENGTH} characters long"
    elif len(password) > MAX_LENGTH:
        problem = f"password must be at most {MAX_LENGTH} characters long"
    elif password.strip() != password or not password.strip():
        problem = "password must not start or end with whitespace"
    elif email and password.lower() in (email.lower(), email.split("@")[0].lower()):
        problem = "password must not be your email address"
    elif len(set(password)) < 4:
        problem = "password must use at least 4 different characters"
    if problem:
        raise InvalidArgument.field("body", field, problem)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret(size: int = 32) -> str:
    return secrets.token_urlsafe(size)


def digest(secret: str) -> str:
    """Lookup hash for high-entropy random secrets (refresh, reset tokens); passwords use argon2."""
    return hashlib.sha256(secret.encode()).hexdigest()
