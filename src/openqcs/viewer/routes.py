"""ListViewerAnnouncements, DismissViewerAnnouncement, UpdateViewerUserProfile,
GetViewerUserOnboardingCompleted, PutViewerUserOnboardingCompleted: all about the caller."""

from __future__ import annotations

from litestar import Request, Response, delete, get, put

from openqcs.context import AppContext
from openqcs.errors import InvalidArgument
from openqcs.http.lists import list_query, paginate
from openqcs.identity.models import User
from openqcs.identity.principal import Principal
from openqcs.viewer import service
from openqcs.viewer.schemas import (
    AnnouncementOut,
    AnnouncementsResponse,
    UpdateViewerUserProfileRequest,
    UserOut,
    UserProfile,
    ViewerUserOnboardingCompleted,
)


def _query_bool(raw: str | None, name: str) -> bool:
    if raw in (None, "", "false"):
        return False
    if raw == "true":
        return True
    raise InvalidArgument.field("query", name, f"{name} must be 'true' or 'false'")


def _user_out(user: User) -> UserOut:
    profile = UserProfile(email=user.email, firstName=user.first_name, lastName=user.last_name,
                          organization=user.organization)
    return UserOut(id=user.id, idpId=user.idp_id, createdTime=user.created_time, profile=profile)


@get("/v1/viewer/announcements", operation_id="ListViewerAnnouncements", sync_to_thread=True)
def list_viewer_announcements(request: Request, ctx: AppContext, principal: Principal) -> AnnouncementsResponse:
    include_dismissed = _query_bool(request.query_params.get("includeDismissed"), "includeDismissed")
    query = list_query(request.query_params, operation_id="ListViewerAnnouncements", signer=ctx.signer,
                       scope=f"{principal.user_id}:{include_dismissed}")
    with ctx.db.session() as session:
        viewed = service.list_viewer_announcements(session, principal.user_id, now=ctx.clock.now(),
                                                   include_dismissed=include_dismissed)
    page = paginate(viewed, query, ctx.signer)
    return AnnouncementsResponse(
        announcements=[AnnouncementOut(id=v.announcement.id, contentHtml=service.content_html(v.announcement),
                                       createdAt=v.announcement.created_time, active=v.active) for v in page.items],
        nextPageToken=page.next_page_token,
    )


@delete("/v1/viewer/announcements/{announcementId:str}", operation_id="DismissViewerAnnouncement",
         status_code=200, sync_to_thread=True)
def dismiss_viewer_announcement(announcementId: str, ctx: AppContext, principal: Principal) -> Response[bytes]:
    try:
        announcement_id = int(announcementId)
    except ValueError:
        raise InvalidArgument.field("path", "announcementId", "announcementId must be an integer") from None
    with ctx.db.session(write=True) as session:
        service.dismiss_announcement(session, principal.user_id, announcement_id, now=ctx.clock.now())
    return Response(b"", status_code=200)


@put("/v1/viewer/userProfile", operation_id="UpdateViewerUserProfile", sync_to_thread=True)
def update_viewer_user_profile(data: UpdateViewerUserProfileRequest, ctx: AppContext,
                               principal: Principal) -> UserOut:
    with ctx.db.session(write=True) as session:
        user = service.update_profile(session, principal.user_id, first_name=data.firstName,
                                      last_name=data.lastName, organization=data.organization)
        return _user_out(user)


@get("/v1/viewer/onboardingCompleted", operation_id="GetViewerUserOnboardingCompleted", sync_to_thread=True)
def get_viewer_user_onboarding_completed(ctx: AppContext, principal: Principal) -> ViewerUserOnboardingCompleted:
    with ctx.db.session() as session:
        return ViewerUserOnboardingCompleted(service.onboarding_completed(session, principal.user_id))


@put("/v1/viewer/onboardingCompleted", operation_id="PutViewerUserOnboardingCompleted", sync_to_thread=True)
def put_viewer_user_onboarding_completed(ctx: AppContext, principal: Principal,
                                         data: ViewerUserOnboardingCompleted | None = None,
                                         ) -> ViewerUserOnboardingCompleted:
    # The body is optional in the spec (qcs-api-client sends none by default): no body means "completed".
    completed = True if data is None else data.onboardingCompleted
    with ctx.db.session(write=True) as session:
        return ViewerUserOnboardingCompleted(service.set_onboarding_completed(session, principal.user_id, completed))


ROUTES = [
    list_viewer_announcements,
    dismiss_viewer_announcement,
    update_viewer_user_profile,
    get_viewer_user_onboarding_completed,
    put_viewer_user_onboarding_completed,
]
