"""The `openqcs` command as an operator uses it: settings from env and flags, migrations, seed."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import create_engine, func, inspect, select, table

from openqcs.config import load_settings
from openqcs.db.engine import normalize_url
from tests.support.databases import database
from tests.support.server import OPENQCS


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([OPENQCS, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300)


def test_flags_win_over_environment():
    settings = load_settings({"OPENQCS_HTTP_PORT": "9000", "OPENQCS_HOST": "0.0.0.0"}, http_port=9100, host=None)
    assert settings.http_port == 9100
    assert settings.host == "0.0.0.0"


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ValueError, match="OPENQCS_HTTP_PORT"):
        load_settings({"OPENQCS_HTTP_PORT": "eighty"})


def test_environment_values_are_read_as_their_field_types():
    settings = load_settings({"OPENQCS_API_ONLY": " Yes", "OPENQCS_HTTP_PORT": " 8123 ", "OPENQCS_HOST": "10.0.0.1"})
    assert (settings.api_only, settings.http_port, settings.host) == (True, 8123, "10.0.0.1")
    assert load_settings({"OPENQCS_API_ONLY": "0"}).api_only is False
    assert load_settings({"OPENQCS_API_ONLY": "off"}).api_only is False
    with pytest.raises(ValueError, match="OPENQCS_API_ONLY"):  # no longer read as False
        load_settings({"OPENQCS_API_ONLY": "maybe"})


def test_sqlite_file_lives_in_the_data_dir(tmp_path):
    assert load_settings({"OPENQCS_DATA_DIR": str(tmp_path)}).db_url == f"sqlite:///{tmp_path}/openqcs.db"


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
            return {n: conn.execute(select(func.count()).select_from(table(n))).scalar_one() for n in names}
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_upgrade_then_seed_twice_changes_nothing_the_second_time(kind, tmp_path):
    with database(kind, str(tmp_path)) as url:
        env = {"OPENQCS_DATABASE_URL": url, "OPENQCS_DATA_DIR": str(tmp_path)}
        upgraded = run("db", "upgrade", env=env)
        assert upgraded.returncode == 0, upgraded.stderr
        first = run("seed", "--demo", env=env)
        assert first.returncode == 0, first.stderr
        after_first = row_counts(url)
        second = run("seed", "--demo", env=env)
        assert second.returncode == 0, second.stderr
        assert row_counts(url) == after_first
        assert after_first["users"] >= 2


def test_seed_without_a_target_is_refused(tmp_path):
    result = run("seed", env={"OPENQCS_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "--demo" in result.stderr
