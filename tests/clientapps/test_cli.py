"""``openqcs admin clientapp`` in-process, on a fresh SQLite file."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from openqcs.clientapps.cli import clientapp_app, parse_link
from openqcs.db.migrate import upgrade


def _database(tmp_path) -> str:
    # A migrated database: admin commands refuse one that is not (openqcs.cli.database_problem).
    url = f"sqlite:///{tmp_path}/cli.db"
    upgrade(url)
    return url


def test_set_then_list_and_bad_versions_are_refused(tmp_path):
    url = _database(tmp_path)
    runner = CliRunner()
    made = runner.invoke(clientapp_app, ["set", "tool", "--latest", "2.0.0", "--minimum", "1.5",
                                         "--link", "https://example.test/t.whl", "--database-url", url])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["minimumVersion"] == "1.5"
    below = runner.invoke(clientapp_app, ["set", "tool", "--latest", "1.0.0", "--database-url", url])
    assert below.exit_code != 0 and "above the latest" in below.output
    malformed = runner.invoke(clientapp_app, ["set", "tool", "--latest", "two", "--database-url", url])
    assert malformed.exit_code != 0 and "not a valid version" in malformed.output
    listed = runner.invoke(clientapp_app, ["list", "--database-url", url])
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["name"], r["latestVersion"], r["links"]) for r in rows] == [
        ("tool", "2.0.0", [{"url": "https://example.test/t.whl"}])]


def test_links_take_an_optional_platform():
    assert parse_link("linux=https://x.test/a?b=c") == {"url": "https://x.test/a?b=c", "platform": "linux"}
    assert parse_link("https://x.test/a?b=c") == {"url": "https://x.test/a?b=c"}
