"""Users, groups, memberships, the embedded issuer's keys, refresh tokens and service clients,
one-time tokens (activation, password reset) and the mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openqcs.db.base import Base, UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The id clients see (``idpId``, the ``uid`` claim, the ``{userId}`` path parameter).
    idp_id: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    organization: Mapped[str] = mapped_column(String(200), default="")
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    activated: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    onboarding_completed: Mapped[bool] = mapped_column(Boolean, default=False)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    # Null until first changed; the wire shows created_time then.
    updated_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    membership_updated_time: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Membership(Base):
    __tablename__ = "group_memberships"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)


class SigningKey(Base):
    """RS256 keys of the embedded issuer; retired keys stay in the JWKS until their tokens expire."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_time: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(Base):
    """Stored hashed. A refresh answers a new token of the same family; revoking revokes the family."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(200), default="")
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_time: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_time: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ServiceClient(Base):
    """OAuth2 client_credentials for a service account (acts as its user)."""

    __tablename__ = "service_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_time: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OneTimeToken(Base):
    """Activation and password-reset tokens: stored hashed, single use, expiring."""

    __tablename__ = "one_time_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))  # activate | reset
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_time: Mapped[datetime] = mapped_column(UTCDateTime)
    used_time: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMail(Base):
    """Mail kept for `openqcs admin mail list` when no SMTP server is configured."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_time: Mapped[datetime] = mapped_column(UTCDateTime)


class AuthGeneration(Base):
    """One row (id 1) whose ``value`` database triggers bump on any change that can make a
    cached principal stale (identity_0003); replicas compare it on every request."""

    __tablename__ = "auth_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
