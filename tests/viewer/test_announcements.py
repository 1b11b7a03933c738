"""ListViewerAnnouncements and DismissViewerAnnouncement against the live server."""

from __future__ import annotations

import subprocess

from tests.support.lists import every_item
from tests.support.server import OPENQCS


def listed(client, **params) -> list[dict]:
    """Every announcement the caller sees, following nextPageToken."""
    return every_item(client, "/v1/viewer/announcements", "announcements", **params)


def test_announcements_are_listed_newest_first_to_every_user(server, user, other_user, announce):
    older, _ = announce()
    newer, content = announce()
    for who in (user, other_user):
        with server.client(who.token) as client:
            ids = [a["id"] for a in listed(client)]
        assert newer in ids and older in ids
        assert ids.index(newer) < ids.index(older)
    with server.client(user.token) as client:
        item = next(a for a in listed(client) if a["id"] == newer)
    assert item["contentHtml"] == content
    assert item["active"] is True


def test_pages_cover_every_announcement_once(server, user, announce):
    mine = [announce()[0] for _ in range(3)]
    with server.client(user.token) as client:
        first = client.get("/v1/viewer/announcements", params={"pageSize": 1}).json()
        assert len(first["announcements"]) == 1 and first["nextPageToken"]
        paged = [a["id"] for a in listed(client, pageSize=2)]
        whole = [a["id"] for a in listed(client, pageSize=100)]
    assert paged == whole
    assert len(set(paged)) == len(paged)
    assert [i for i in whole if i in mine] == sorted(mine, reverse=True)


def test_dismissal_hides_only_for_the_dismissing_user(server, user, other_user, announce):
    announcement_id, _ = announce()
    with server.client(user.token) as client:
        response = client.delete(f"/v1/viewer/announcements/{announcement_id}")
        assert response.status_code == 200
        assert announcement_id not in [a["id"] for a in listed(client)]
        history = {a["id"]: a for a in listed(client, includeDismissed="true")}
        assert announcement_id in history
        assert history[announcement_id]["active"] is True
        # Dismissing again changes nothing and still succeeds.
        assert client.delete(f"/v1/viewer/announcements/{announcement_id}").status_code == 200
    with server.client(other_user.token) as client:
        assert announcement_id in [a["id"] for a in listed(client)]


def test_expired_announcements_only_show_in_history_as_inactive(server, user, announce):
    announcement_id, _ = announce(expires_in=60)
    with server.client(user.token) as client:
        assert announcement_id in [a["id"] for a in listed(client)]
        server.move_clock(120)
        try:
            assert announcement_id not in [a["id"] for a in listed(client)]
            history = {a["id"]: a for a in listed(client, includeDismissed="true")}
        finally:
            server.move_clock(0)
    assert history[announcement_id]["active"] is False


def test_dismissing_an_unknown_announcement_is_404(server, user):
    with server.client(user.token) as client:
        for unknown in ("987654321", "0", "-3", str(2**63)):
            response = client.delete(f"/v1/viewer/announcements/{unknown}")
            assert response.status_code == 404, unknown
            assert response.json()["code"] == "not_found"


def test_a_non_integer_announcement_id_is_422_in_path(server, user):
    with server.raw_client(headers={"authorization": f"Bearer {user.token}"}) as client:
        response = client.delete("/v1/viewer/announcements/abc")
    assert response.status_code == 422
    problem = response.json()["validationErrors"][0]
    assert problem["in"] == "path" and problem["path"] == ["announcementId"]


def test_bad_list_parameters_are_422_in_query(server, user):
    with server.client(user.token) as client:
        for params, name in [({"includeDismissed": "maybe"}, "includeDismissed"), ({"pageSize": "0"}, "pageSize"),
                             ({"pageToken": "forged"}, "pageToken")]:
            response = client.get("/v1/viewer/announcements", params=params)
            assert response.status_code == 422, params
            problem = response.json()["validationErrors"][0]
            assert problem["in"] == "query" and problem["path"] == [name], params


def test_a_page_token_does_not_carry_over_to_another_user(server, user, other_user, announce):
    for _ in range(2):
        announce()
    with server.client(user.token) as client:
        token = client.get("/v1/viewer/announcements", params={"pageSize": 1}).json()["nextPageToken"]
    with server.client(other_user.token) as client:
        response = client.get("/v1/viewer/announcements", params={"pageSize": 1, "pageToken": token})
    assert response.status_code == 422


def test_announcements_need_a_token(server):
    with server.client() as client:
        assert client.get("/v1/viewer/announcements").status_code == 401
        response = client.delete("/v1/viewer/announcements/1")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_admin_cli_creates_an_announcement_users_see(server, user):
    result = subprocess.run(
        [OPENQCS, "admin", "announcement", "create", "--title", "Maintenance <Friday>",
         "--content", "<p>The QPU rests.</p>", "--expires", "7d"],
        env=server.env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    with server.client(user.token) as client:
        newest = listed(client)[0]
    assert newest["contentHtml"] == "<h3>Maintenance &lt;Friday&gt;</h3><p>The QPU rests.</p>"
    assert newest["active"] is True
