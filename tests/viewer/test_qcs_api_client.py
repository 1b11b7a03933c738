"""Rigetti's qcs-api-client 0.27.x, unmodified, calls every viewer and client application operation.

It sends each request without a token first and only adds it after a 401, so these calls
also prove the server answers 401 (not an anonymous 200) on protected routes.
"""

from __future__ import annotations

from openqcs.clientapps.seed import seed_demo
from tests.support.clients import run_client, write_qcs_config

SCRIPT = """
import json
from qcs_api_client.client import build_sync_client
from qcs_api_client.api.account import (
    dismiss_viewer_announcement, get_viewer_user_onboarding_completed, list_viewer_announcements,
    put_viewer_user_onboarding_completed, update_viewer_user_profile)
from qcs_api_client.api.client_applications import (
    check_client_application, get_client_application, list_client_applications)
from qcs_api_client.models import (
    CheckClientApplicationRequest, UpdateViewerUserProfileRequest, ViewerUserOnboardingCompleted)
from qcs_api_client.util.errors import QCSHTTPStatusError

out = {}
with build_sync_client() as client:
    page = list_viewer_announcements.sync(client=client, page_size=1).parsed
    out["first_page"] = [a.id for a in page.announcements]
    out["has_next"] = isinstance(page.next_page_token, str)
    ids = []
    token = None
    while True:
        kwargs = {"page_token": token} if token else {}
        page = list_viewer_announcements.sync(client=client, page_size=2, **kwargs).parsed
        ids += [a.id for a in page.announcements]
        token = page.next_page_token if isinstance(page.next_page_token, str) else None
        if not token:
            break
    out["ids"] = ids
    out["dismiss_status"] = dismiss_viewer_announcement.sync(ANNOUNCEMENT, client=client).status_code
    out["after_dismiss"] = [a.id for a in list_viewer_announcements.sync(client=client, page_size=100).parsed.announcements]
    history = list_viewer_announcements.sync(client=client, page_size=100, include_dismissed=True).parsed
    out["history"] = [a.id for a in history.announcements]
    unknown = dismiss_viewer_announcement.sync(987654321, client=client)
    out["unknown_dismiss"] = unknown.status_code
    try:
        unknown.parsed
    except QCSHTTPStatusError as exc:
        out["unknown_dismiss_error"] = exc.response.json()["code"]
    user = update_viewer_user_profile.sync(client=client, body=UpdateViewerUserProfileRequest(
        first_name="Grace", last_name="Hopper", organization="Navy")).parsed
    out["profile"] = [user.idp_id, user.profile.email, user.profile.first_name, user.profile.organization]
    out["onboarding_before"] = get_viewer_user_onboarding_completed.sync(client=client).parsed.onboarding_completed
    put_viewer_user_onboarding_completed.sync(client=client, body=ViewerUserOnboardingCompleted(onboarding_completed=True))
    out["onboarding_after"] = get_viewer_user_onboarding_completed.sync(client=client).parsed.onboarding_completed
    apps = list_client_applications.sync(client=client).parsed
    out["apps"] = sorted(a.name for a in apps.client_applications)
    app = get_client_application.sync("pyquil", client=client).parsed
    out["pyquil"] = [app.latest_version, app.minimum_version, app.supported]
    check = check_client_application.sync(client=client, body=CheckClientApplicationRequest(
        name="pyquil", version="3.0.0")).parsed
    out["check"] = [check.is_latest_version, check.is_update_required, bool(check.message)]
    out["unknown_app"] = get_client_application.sync("no-such-client", client=client).status_code
print(json.dumps(out))
"""


def test_qcs_api_client_calls_every_operation(server, user, announce, tmp_path):
    seed_demo(server.ctx)
    older, _ = announce()
    newer, _ = announce()
    env = write_qcs_config(tmp_path / "qcs", api_url=server.base_url, grpc_url=server.settings.grpc_url,
                           issuer=server.settings.issuer, access_token=user.token)
    out = run_client("api", SCRIPT.replace("ANNOUNCEMENT", str(older)), env)
    assert out["first_page"] == [out["ids"][0]] and out["has_next"] is True
    assert out["ids"].index(newer) < out["ids"].index(older)
    assert len(out["ids"]) == len(set(out["ids"]))
    assert out["dismiss_status"] == 200
    assert older not in out["after_dismiss"] and newer in out["after_dismiss"]
    assert older in out["history"]
    assert out["unknown_dismiss"] == 404 and out["unknown_dismiss_error"] == "not_found"
    assert out["profile"] == [user.idp_id, user.email, "Grace", "Navy"]
    assert (out["onboarding_before"], out["onboarding_after"]) == (False, True)
    assert {"pyquil", "qcs-api-client", "qcs-sdk-python"} <= set(out["apps"])
    assert out["pyquil"] == ["4.22.0", "4.0.0", True]
    assert out["check"] == [False, True, True]
    assert out["unknown_app"] == 404
