"""Identity operations of the spec, and the embedded issuer (``oauth2_routes.py``)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTask

from openqcs.context import AppContext
from openqcs.http.lists import list_query, paginate
from openqcs.identity import schemas, service
from openqcs.identity.mail import Mail, deliver
from openqcs.identity.oauth2_routes import OAUTH2_ROUTES
from openqcs.identity.principal import Principal


def _no_content(ctx: AppContext, mail: Mail | None = None) -> Response[None]:
    # Mail goes out after the answer, so the answer's timing does not tell whether an email exists.
    background = BackgroundTask(deliver, ctx, mail) if mail is not None else None
    return Response(content=None, status_code=204, background=background)


@get("/v1/auth:getUser", operation_id="AuthGetUser", sync_to_thread=True)
def auth_get_user(ctx: AppContext, principal: Principal) -> schemas.User:
    with ctx.db.session() as session:
        return schemas.user_out(service.get_user(session, principal))


@post("/v1/auth:resetPassword", operation_id="AuthResetPassword", status_code=204, sync_to_thread=True)
def auth_reset_password(ctx: AppContext, principal: Principal,
                        data: schemas.AuthResetPasswordRequest) -> Response[None]:
    with ctx.db.session(write=True) as session:
        service.change_password(session, principal, data.oldPassword, data.newPassword)
    return _no_content(ctx)


@post("/v1/auth:emailPasswordResetToken", operation_id="AuthEmailPasswordResetToken", status_code=204,
      sync_to_thread=True)
def auth_email_password_reset_token(ctx: AppContext,
                                    data: schemas.AuthEmailPasswordResetTokenRequest) -> Response[None]:
    with ctx.db.session(write=True) as session:
        mail = service.request_password_reset(session, ctx.clock, ctx.settings, data.email)
    return _no_content(ctx, mail)


@post("/v1/auth:resetPasswordWithToken", operation_id="AuthResetPasswordWithToken", status_code=204,
      sync_to_thread=True)
def auth_reset_password_with_token(ctx: AppContext,
                                   data: schemas.AuthResetPasswordWithTokenRequest) -> Response[None]:
    with ctx.db.session(write=True) as session:
        service.reset_password_with_token(session, ctx.clock, data.token, data.newPassword)
    return _no_content(ctx)


@post("/v1/users:activate", operation_id="ActivateUser", status_code=204, sync_to_thread=True)
def activate_user(ctx: AppContext, data: schemas.ActivateUserRequest) -> Response[None]:
    # The spec documents a User body on this 204, but HTTP forbids a body on 204, so none is sent.
    with ctx.db.session(write=True) as session:
        service.activate_user(session, ctx.clock, data.token, data.credentials.password.value,
                              data.profile.firstName, data.profile.lastName, data.profile.organization)
    return _no_content(ctx)


@post("/v1/groups:addUser", operation_id="AddGroupUser", status_code=204, sync_to_thread=True)
def add_group_user(ctx: AppContext, principal: Principal, data: schemas.GroupUserRequest) -> Response[None]:
    with ctx.db.session(write=True) as session:
        service.add_group_user(session, ctx.clock, principal, group_id=data.groupId, group_name=data.groupName,
                               user_id=data.userId, user_email=data.userEmail)
    return _no_content(ctx)


@post("/v1/groups:removeUser", operation_id="RemoveGroupUser", status_code=204, sync_to_thread=True)
def remove_group_user(ctx: AppContext, principal: Principal, data: schemas.GroupUserRequest) -> Response[None]:
    with ctx.db.session(write=True) as session:
        service.remove_group_user(session, ctx.clock, principal, group_id=data.groupId, group_name=data.groupName,
                                  user_id=data.userId, user_email=data.userEmail)
    return _no_content(ctx)


@get("/v1/groups/{groupName:str}/users", operation_id="ListGroupUsers", sync_to_thread=True)
def list_group_users(ctx: AppContext, principal: Principal, request: Request,
                     groupName: str) -> schemas.ListGroupUsersResponse:
    query = list_query(request.query_params, operation_id="ListGroupUsers", signer=ctx.signer,
                       scope=f"{principal.idp_id}/{groupName}")
    with ctx.db.session() as session:
        page = paginate(service.list_group_users(session, principal, groupName), query, ctx.signer)
        return schemas.ListGroupUsersResponse([schemas.user_out(u) for u in page.items], page.next_page_token)


@get("/v1/users/{userId:str}/groups", operation_id="ListUserGroups", sync_to_thread=True)
def list_user_groups(ctx: AppContext, principal: Principal, request: Request,
                     userId: str) -> schemas.ListGroupsResponse:
    query = list_query(request.query_params, operation_id="ListUserGroups", signer=ctx.signer,
                       scope=f"{principal.idp_id}/{userId}")
    with ctx.db.session() as session:
        page = paginate(service.list_user_groups(session, principal, userId), query, ctx.signer)
        return schemas.ListGroupsResponse([schemas.group_out(g) for g in page.items], page.next_page_token)


ROUTES = [
    auth_get_user, auth_reset_password, auth_email_password_reset_token, auth_reset_password_with_token,
    activate_user, add_group_user, remove_group_user, list_group_users, list_user_groups, *OAUTH2_ROUTES,
]
