"""Reset, export and import of the whole state, through the admin API, on both databases."""

from __future__ import annotations

from openqcs.billing import service as billing
from openqcs.config import load_settings
from openqcs.context import AppContext
from openqcs.core import state
from openqcs.db.migrate import upgrade
from openqcs.identity.accounts import Account
from openqcs.identity.service import require_user_by_email
from tests.support.databases import database
from tests.support.factories import make_user

DEMO_PROCESSORS = {"Aspen-M-3", "Aspen-9", "Aspen-8", "Ankaa-9Q-sim", "Ankaa-9Q-noiseless"}


def processor_ids(server, token: str) -> set[str]:
    with server.client(token) as api:
        return {p["id"] for p in api.get("/v1/quantumProcessors", params={"pageSize": 100}).json()["quantumProcessors"]}


def test_reset_goes_back_to_the_demo_seed_and_empty_removes_everything(admin_server, admin_api):
    stranger = make_user(admin_server.ctx)
    with admin_server.client(stranger.token) as api:
        assert api.get("/v1/auth:getUser").status_code == 200
    answer = admin_api.post("/admin/v1/reset", json={})
    assert answer.status_code == 200, answer.text
    assert answer.json()["tables"]["users"] == 2
    with admin_server.client(stranger.token) as api:
        assert api.get("/v1/auth:getUser").status_code == 401  # the user went with the reset
    with admin_server.ctx.db.session() as session:
        uid = require_user_by_email(session, "demo@openqcs.local").idp_id
    token, _ = admin_server.ctx.tokens.issue_access_token(subject="demo@openqcs.local", uid=uid, groups=["demo"])
    # A demo user's token outlives the next reset: the seed comes back with the same ids and
    # the signing keys stay.
    assert admin_api.post("/admin/v1/reset").status_code == 200
    assert processor_ids(admin_server, token) == DEMO_PROCESSORS

    emptied = admin_api.post("/admin/v1/reset", json={"empty": True})
    assert emptied.status_code == 200 and set(emptied.json()["tables"].values()) == {0}
    with admin_server.client(token) as api:
        assert api.get("/v1/auth:getUser").status_code == 401
    # The admin token needs no user, so the empty server can still be administered.
    assert admin_api.post("/admin/v1/reset").status_code == 200
    assert len(admin_api.get("/admin/v1/state").json()["tables"]["users"]["rows"]) == 2


def test_a_snapshot_brings_back_users_credit_and_processors(admin_server, admin_api):
    admin_api.post("/admin/v1/reset")
    alice = make_user(admin_server.ctx, groups=("snap-team",))
    with admin_server.ctx.db.session(write=True) as session:
        billing.credit(session, Account(alice.idp_id, "user"), 1234, note="test", at=admin_server.ctx.clock.now())
    snapshot = admin_api.get("/admin/v1/state").json()
    assert snapshot["format"] == "openqcs-state"
    assert admin_api.post("/admin/v1/reset", json={"empty": True}).status_code == 200
    with admin_server.client(alice.token) as api:
        assert api.get("/v1/auth:getUser").status_code == 401
    restored = admin_api.put("/admin/v1/state", json=snapshot)
    assert restored.status_code == 200, restored.text
    with admin_server.client(alice.token) as api:
        assert api.get("/v1/auth:getUser").status_code == 200
        balance = api.get(f"/v1/users/{alice.idp_id}/balance").json()
        assert balance["balance"] == -1234  # negative: credit to spend (spec)
        assert [g["name"] for g in api.get(f"/v1/users/{alice.idp_id}/groups").json()["groups"]] == ["snap-team"]
    assert processor_ids(admin_server, alice.token) == DEMO_PROCESSORS
    # New rows after an import get fresh ids (PostgreSQL sequences follow the imported ids).
    bob = make_user(admin_server.ctx)
    assert bob.id > max(row[0] for row in snapshot["tables"]["users"]["rows"])


def test_a_bad_snapshot_is_refused_whole_with_a_clear_message(admin_server, admin_api):
    admin_api.post("/admin/v1/reset")
    good = admin_api.get("/admin/v1/state").json()
    cases = {
        "not an openqcs state snapshot": {"tables": {}},
        "unknown tables: nope": {**good, "tables": {**good["tables"], "nope": {"columns": [], "rows": []}}},
        "unknown columns": {**good, "tables": {**good["tables"], "users": {"columns": ["shoe_size"], "rows": [[1]]}}},
        "version": {**good, "version": 99},
        "expected 2 values": {**good, "tables": {**good["tables"], "groups": {"columns": ["id", "name"], "rows": [[1]]}}},
    }
    bad_time = {**good["tables"]["users"]}
    bad_time = {"columns": bad_time["columns"], "rows": [list(r) for r in bad_time["rows"]]}
    bad_time["rows"][-1][bad_time["columns"].index("created_time")] = "yesterday"
    cases["users.created_time"] = {**good, "tables": {**good["tables"], "users": bad_time}}
    for expected, body in cases.items():
        answer = admin_api.put("/admin/v1/state", json=body)
        assert answer.status_code == 422, (expected, answer.text)
        assert expected in answer.json()["message"]
    assert admin_api.put("/admin/v1/state", content=b"{not json").status_code in (400, 422)
    # Nothing of the refused snapshots was applied.
    assert admin_api.get("/admin/v1/state").json() == good


def test_the_admin_api_is_for_administrators_only(admin_server, admin_api):
    admin_api.post("/admin/v1/reset")
    user = make_user(admin_server.ctx)
    admin = make_user(admin_server.ctx, admin=True)
    with admin_server.raw_client() as anonymous:
        assert anonymous.get("/admin/v1/state").status_code == 401
        assert anonymous.post("/admin/v1/reset", headers={"authorization": "Bearer not-the-token"}).status_code == 401
    with admin_server.raw_client(headers={"authorization": f"Bearer {user.token}"}) as api:
        assert api.post("/admin/v1/reset").status_code == 403
        assert api.get("/admin/v1/clock").status_code == 403
    with admin_server.raw_client(headers={"authorization": f"Bearer {admin.token}"}) as api:
        assert api.get("/admin/v1/clock").status_code == 200
    assert admin_api.post("/admin/v1/reset", json={"empty": "yes"}).status_code == 422
    assert admin_api.post("/admin/v1/reset", json={"wipe": True}).status_code == 422


def test_a_snapshot_moves_between_sqlite_and_postgresql(admin_server, admin_api, tmp_path):
    admin_api.post("/admin/v1/reset")
    make_user(admin_server.ctx, groups=("movers",))
    snapshot = admin_api.get("/admin/v1/state").json()
    other = "postgres" if admin_server.ctx.db.is_sqlite else "sqlite"
    with database(other, str(tmp_path)) as url:
        upgrade(url)
        ctx = AppContext.create(load_settings(database_url=url, data_dir=str(tmp_path)))
        try:
            with ctx.db.session(write=True) as session:
                state.import_state(session, snapshot)
            with ctx.db.session() as session:
                assert state.export_state(session) == snapshot
        finally:
            ctx.close()
