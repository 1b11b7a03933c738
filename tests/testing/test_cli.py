"""The commands of the first hour, run as an operator would (against a live server's database)."""

from __future__ import annotations

import json
import secrets
import subprocess
import time

import httpx
from typer.testing import CliRunner

from openqcs.commands import build
from tests.support.factories import make_user
from tests.support.server import OPENQCS


def cli(server, *args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """An ``openqcs`` command in-process, with the server's settings (a subprocess costs seconds)."""
    settings_env = {k: v for k, v in server.env.items() if k.startswith("OPENQCS_")}
    result = CliRunner().invoke(build(), list(args), env={**settings_env, **env}, input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def login(server, email: str, password: str) -> httpx.Response:
    with server.raw_client() as client:
        return client.post("/oauth2/default/v1/token", data={"grant_type": "password", "username": email,
                                                              "password": password, "client_id": "openqcs"})


def test_status_shows_what_runs_where_and_the_counts(admin_server):
    cli(admin_server, "reset", "--yes")
    done = subprocess.run([OPENQCS, "status"], env={**admin_server.env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"api        {admin_server.base_url}  up" in done.stdout
    assert "users 2, groups 1, processors 5, reservations 0, queued jobs 0" in done.stdout
    assert "test clock" in done.stdout


def test_reset_and_state_export_import_from_the_command_line(admin_server, tmp_path):
    cli(admin_server, "reset", "--yes")
    extra = make_user(admin_server.ctx)
    snapshot = tmp_path / "state.json"
    assert cli(admin_server, "state", "export", str(snapshot)).returncode == 0
    assert json.loads(snapshot.read_text())["format"] == "openqcs-state"
    emptied = cli(admin_server, "reset", "--empty", "--yes")
    assert emptied.returncode == 0 and "0 users, 0 processors" in emptied.stdout
    with admin_server.client(extra.token) as api:
        assert api.get("/v1/auth:getUser").status_code == 401
    restored = cli(admin_server, "state", "import", str(snapshot), "--yes")
    assert restored.returncode == 0 and "3 users, 5 processors" in restored.stdout, restored.stdout
    with admin_server.client(extra.token) as api:
        assert api.get("/v1/auth:getUser").status_code == 200
    (tmp_path / "junk.json").write_text('{"hello": 1}')
    bad = cli(admin_server, "state", "import", str(tmp_path / "junk.json"), "--yes")
    assert bad.returncode == 1 and bad.stderr.startswith("error: not an openqcs state snapshot")
    missing = cli(admin_server, "state", "import", str(tmp_path / "nope.json"), "--yes")
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    assert cli(admin_server, "reset", input="n\n").returncode == 1  # asks first; "n" keeps everything
    with admin_server.client(extra.token) as api:
        assert api.get("/v1/auth:getUser").status_code == 200


def test_the_clock_commands_move_the_servers_time(admin_server, admin_api):
    assert cli(admin_server, "clock", "set", "--offset", "3600").returncode == 0
    assert admin_api.get("/admin/v1/clock").json()["offsetSeconds"] == 3600
    advanced = cli(admin_server, "clock", "advance", "600")
    assert advanced.returncode == 0 and "(offset +4200 s)" in advanced.stdout
    assert cli(admin_server, "clock", "set", "2030-02-03T04:05:06Z").returncode == 0
    assert admin_api.get("/admin/v1/clock").json()["now"].startswith("2030-02-03T04:0")
    assert "offset" in cli(admin_server, "clock", "show").stdout
    bad = cli(admin_server, "clock", "set", "soonish")
    assert bad.returncode == 1 and "not an ISO 8601 time" in bad.stderr
    system = cli(admin_server, "clock", "show", OPENQCS_CLOCK_FILE="")
    assert system.returncode == 1 and "OPENQCS_CLOCK_FILE" in system.stderr


def test_a_fault_set_from_the_command_line_reaches_the_running_server(admin_server):
    cli(admin_server, "reset", "--yes")
    user = make_user(admin_server.ctx)
    added = cli(admin_server, "admin", "fault", "add", "--path", "/v1/users", "--status", "429")
    assert added.returncode == 0, added.stderr
    assert json.loads(cli(admin_server, "admin", "fault", "list").stdout)["status"] == 429
    with admin_server.client(user.token) as api:
        deadline = time.monotonic() + 10  # each server process rereads the fault table every second
        while api.get(f"/v1/users/{user.idp_id}/balance").status_code != 429:
            assert time.monotonic() < deadline, "the fault never took effect"
            time.sleep(0.2)
    assert "1 faults removed" in cli(admin_server, "admin", "fault", "clear").stdout
    refused = cli(admin_server, "admin", "fault", "add", "--path", "/admin/v1/reset", "--status", "500")
    assert refused.returncode == 1 and "cannot be faulted" in refused.stderr


def test_users_enable_delete_groups_and_passwords_not_on_the_command_line(admin_server):
    tag = secrets.token_hex(3)
    piped, asked = f"piped-{tag}@example.test", f"asked-{tag}@example.test"
    made = cli(admin_server, "admin", "user", "create", piped, "--password-stdin", input="stdin-password-77\n")
    assert made.returncode == 0, made.stderr
    assert login(admin_server, piped, "stdin-password-77").status_code == 200
    prompted = cli(admin_server, "admin", "user", "create", asked, "--ask-password",
                   input="prompt-password-88\nprompt-password-88\n")
    assert prompted.returncode == 0, prompted.stdout
    assert login(admin_server, asked, "prompt-password-88").status_code == 200
    both = cli(admin_server, "admin", "user", "create", f"x-{tag}@example.test", "--password", "a-password-99",
               "--password-stdin", input="other\n")
    assert both.returncode == 2 and "one way" in both.stderr

    assert cli(admin_server, "admin", "user", "disable", piped).returncode == 0
    disabled = login(admin_server, piped, "stdin-password-77")
    assert disabled.status_code == 400 and "disabled" in disabled.json()["error_description"]
    assert cli(admin_server, "admin", "user", "enable", piped).returncode == 0
    assert login(admin_server, piped, "stdin-password-77").status_code == 200

    assert cli(admin_server, "admin", "group", "create", f"team-{tag}", "--description", "the team").returncode == 0
    assert cli(admin_server, "admin", "group", "add-user", f"team-{tag}", piped).returncode == 0
    assert f"team-{tag}\t1 member\tthe team" in cli(admin_server, "admin", "group", "list").stdout

    assert cli(admin_server, "admin", "user", "delete", piped, "--yes").returncode == 0
    assert piped not in cli(admin_server, "admin", "user", "list").stdout
    assert f"team-{tag}\t0 members" in cli(admin_server, "admin", "group", "list").stdout
    gone = cli(admin_server, "admin", "user", "delete", piped, "--yes")
    assert gone.returncode == 1 and "no user" in gone.stderr


def test_login_tells_an_invited_user_to_activate_without_naming_accounts(admin_server):
    tag = secrets.token_hex(3)
    invited, known = f"invited-{tag}@example.test", f"known-{tag}@example.test"
    assert cli(admin_server, "admin", "user", "create", invited).returncode == 0
    assert cli(admin_server, "admin", "user", "create", known, "--password-stdin",
               input="known-password-55\n").returncode == 0
    answers = [login(admin_server, email, "some-password-1").json()["error_description"]
               for email in (invited, known, f"nobody-{tag}@example.test")]
    assert len(set(answers)) == 1  # the same words whether or not the email exists
    assert "activat" in answers[0]


def test_processor_commands_take_the_id_as_argument_or_option(admin_server):
    cli(admin_server, "reset", "--yes")
    user = make_user(admin_server.ctx)
    assert cli(admin_server, "admin", "processor", "set", "--processor", "Aspen-9", "--restricted").returncode == 0
    assert cli(admin_server, "admin", "processor", "grant", "Aspen-9", "--user", user.email).returncode == 0
    assert "already granted" in cli(admin_server, "admin", "processor", "grant", "--processor", "Aspen-9",
                                    "--user", user.email).stdout
    offline = cli(admin_server, "admin", "processor", "set", "Aspen-8", "--status", "offline")
    assert offline.returncode == 0 and offline.stdout.strip().endswith("offline")
    assert "public offline" in cli(admin_server, "admin", "processor", "list").stdout
    twice = cli(admin_server, "admin", "processor", "set", "Aspen-8", "--processor", "Aspen-9", "--public")
    assert twice.returncode == 2 and "two processor ids" in twice.stderr
    none = cli(admin_server, "admin", "processor", "revoke", "--user", user.email)
    assert none.returncode == 2 and "name the processor" in none.stderr
    assert cli(admin_server, "admin", "processor", "delete", "Aspen-8", "--yes").returncode == 0
    with admin_server.client(user.token) as api:
        assert api.get("/v1/quantumProcessors/Aspen-8").status_code == 404
    missing = cli(admin_server, "admin", "processor", "delete", "--processor", "Aspen-8", "--yes")
    assert missing.returncode == 1 and "not found" in missing.stderr
