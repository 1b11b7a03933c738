"""Client applications: which versions exist, which are still supported, and version checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from packaging.version import InvalidVersion, Version
from sqlalchemy import select
from sqlalchemy.orm import Session

from openqcs.clientapps.models import ClientApplication
from openqcs.errors import InvalidArgument, NotFound

NAME_MAX = 100
VERSION_MAX = 50


@dataclass(frozen=True)
class CheckResult:
    is_latest: bool
    update_required: bool
    message: str


def parse_version(text: str, field: str, location: str = "body") -> Version:
    """A semantic version (PEP 440 parsing, so ``1.2.3``, ``v1.2``, ``1.0rc1``); InvalidArgument otherwise."""
    if not text.strip() or len(text) > VERSION_MAX:
        raise InvalidArgument.field(location, field, f"{field} must be a version such as 1.2.3")
    try:
        return Version(text.strip())
    except InvalidVersion:
        raise InvalidArgument.field(location, field, f"'{text}' is not a valid version (expected e.g. 1.2.3)") from None


def list_client_applications(session: Session) -> list[ClientApplication]:
    return list(session.scalars(select(ClientApplication).order_by(ClientApplication.name)))


def get_client_application(session: Session, name: str) -> ClientApplication:
    # A name no stored one can match is not looked up (PostgreSQL refuses NUL in text).
    found = session.get(ClientApplication, name) if 0 < len(name) <= NAME_MAX and "\x00" not in name else None
    if found is None:
        raise NotFound(f"client application '{name}' not found")
    return found


def set_client_application(session: Session, name: str, *, latest: str, now: datetime, minimum: str | None = None,
                           details_uri: str | None = None, links: list[dict[str, Any]] | None = None,
                           supported: bool | None = None) -> ClientApplication:
    """Create an application or update its versions; arguments left None keep their current value.

    InvalidArgument for a bad name, a malformed version, or a minimum above the latest.
    """
    name = name.strip()
    if not name or len(name) > NAME_MAX or any(ord(c) < 32 for c in name):
        raise InvalidArgument.field("body", "name", f"name must be 1 to {NAME_MAX} characters")
    app = session.get(ClientApplication, name) or ClientApplication(name=name, supported=True, links=[])
    minimum = minimum if minimum is not None else app.minimum_version
    latest_version = parse_version(latest, "latestVersion")
    if minimum is not None and parse_version(minimum, "minimumVersion") > latest_version:
        raise InvalidArgument.field("body", "minimumVersion",
                                    f"minimum version {minimum} is above the latest version {latest}")
    for link in links or []:
        if not isinstance(link, dict) or not isinstance(link.get("url"), str) or not link["url"]:
            raise InvalidArgument.field("body", "links", "every link needs a url")
    app.latest_version = latest.strip()
    app.minimum_version = minimum.strip() if minimum is not None else None
    if details_uri is not None:
        app.details_uri = details_uri
    if links is not None:
        app.links = list(links)
    if supported is not None:
        app.supported = supported
    app.updated_time = now
    session.add(app)
    session.flush()
    return app


def check_client_application(session: Session, name: str, version: str) -> CheckResult:
    """Compare ``version`` with the application's latest and minimum versions.

    NotFound for an unknown application; InvalidArgument for a malformed version.
    """
    app = get_client_application(session, name)
    given = parse_version(version, "version")
    latest = Version(app.latest_version)
    minimum = Version(app.minimum_version) if app.minimum_version else None
    update_required = minimum is not None and given < minimum
    is_latest = given >= latest
    if update_required:
        message = (f"{name} {version} is below the minimum supported version {app.minimum_version}: "
                   f"update to {app.latest_version}.")
    elif given > latest:
        message = f"{name} {version} is newer than the latest release {app.latest_version}."
    elif is_latest:
        message = f"{name} {version} is the latest version."
    else:
        message = f"{name} {version} is supported; {app.latest_version} is available."
    if not app.supported:
        message += f" {name} is no longer supported by this server."
    return CheckResult(is_latest, update_required, message)
