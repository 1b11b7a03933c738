"""Version checks in the service, without a server (SQLite in memory)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from openqcs.clientapps.models import ClientApplication
from openqcs.clientapps.service import check_client_application, set_client_application
from openqcs.errors import InvalidArgument, NotFound

NOW = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    ClientApplication.__table__.create(engine)
    with Session(engine) as s:
        set_client_application(s, "pyquil", latest="4.22.0", minimum="4.0.0", now=NOW)
        yield s
    engine.dispose()


@pytest.mark.parametrize("version, latest, required", [
    ("4.22.0", True, False),
    ("4.22", True, False),        # 4.22 == 4.22.0
    ("v4.22.0", True, False),
    ("5.0.0", True, False),       # newer than published
    ("4.10.0", False, False),     # numeric, not string, comparison: 4.10 > 4.9
    ("4.9.9", False, False),
    ("4.0.0", False, False),      # the minimum itself is supported
    ("4.0.0rc1", False, True),    # a pre-release of the minimum is below it
    ("3.5.4", False, True),
    ("0.1", False, True),
])
def test_check_compares_as_versions(session, version, latest, required):
    result = check_client_application(session, "pyquil", version)
    assert (result.is_latest, result.update_required) == (latest, required)
    assert version in result.message


@pytest.mark.parametrize("bad", ["banana", "", "4..2", "4.22.0-beta+zz#", "x" * 60])
def test_malformed_versions_are_invalid_arguments_naming_the_field(session, bad):
    with pytest.raises(InvalidArgument) as caught:
        check_client_application(session, "pyquil", bad)
    assert caught.value.problems[0].path == ("version",)


def test_unknown_application_is_not_found(session):
    with pytest.raises(NotFound):
        check_client_application(session, "forest", "1.0.0")


def test_set_keeps_what_it_is_not_told_and_refuses_minimum_above_latest(session):
    app = set_client_application(session, "pyquil", latest="4.23.0", now=NOW)
    assert (app.latest_version, app.minimum_version) == ("4.23.0", "4.0.0")
    with pytest.raises(InvalidArgument):
        set_client_application(session, "pyquil", latest="3.0.0", now=NOW)
    assert session.get(ClientApplication, "pyquil").latest_version == "4.23.0"
