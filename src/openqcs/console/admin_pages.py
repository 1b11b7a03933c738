"""Administration of people and money: users (create, disable/enable, groups) and credit.
Every handler takes ``admin`` (403 for anyone else) and calls the services the CLI calls."""

from __future__ import annotations

from litestar import Request, Response, get, post

from openqcs.billing import service as billing
from openqcs.console import forms
from openqcs.console.web import redirect, render
from openqcs.context import AppContext
from openqcs.errors import Conflict, InvalidArgument
from openqcs.identity import service as identity
from openqcs.identity.accounts import Account, require_account
from openqcs.identity.mail import deliver_sync
from openqcs.identity.principal import Principal, group_names


@get("/admin", sync_to_thread=True)
def users_page(request: Request, ctx: AppContext, admin: Principal) -> Response:
    with ctx.db.session() as session:
        users = [(u, sorted(group_names(session, u.id)), billing.balance_cents(session, Account(u.idp_id, "user")))
                 for u in identity.list_users(session)]
    return render(request, "admin_users.html", title="Admin · users and credit", users=users)


@post("/admin/users", sync_to_thread=True)
def create_user(request: Request, ctx: AppContext, admin: Principal, form: dict[str, str]) -> Response:
    password = form.get("password") or None
    with ctx.db.session(write=True) as session:
        user = identity.create_user(session, ctx.clock, form.get("email", ""), password=password,
                                    admin=form.get("admin") == "on")
        mail = None if password else identity.invite(session, ctx.clock, ctx.settings, user)
        email = user.email
    if mail is not None:
        deliver_sync(ctx, mail)
    return redirect(request, "/console/admin", flash=f"Created user {email}" +
                    ("." if password else "; an activation mail was sent."))


@post("/admin/users/state", sync_to_thread=True)
def set_state(request: Request, ctx: AppContext, admin: Principal, form: dict[str, str]) -> Response:
    disable = form.get("action") == "disable"
    email = form.get("email", "")
    if disable and email.strip().lower() == admin.email:
        raise InvalidArgument("you cannot disable yourself")
    with ctx.db.session(write=True) as session:
        identity.set_disabled(session, ctx.clock, email, disabled=disable)
    return redirect(request, "/console/admin", flash=f"{'Disabled' if disable else 'Enabled'} {email}.")


@post("/admin/groups", sync_to_thread=True)
def add_to_group(request: Request, ctx: AppContext, admin: Principal, form: dict[str, str]) -> Response:
    group, email = form.get("group", ""), form.get("email", "")
    with ctx.db.session(write=True) as session:
        try:
            identity.create_group(session, ctx.clock, group)
        except Conflict:
            pass  # it exists already: just add the member
        identity.add_group_user(session, ctx.clock, admin, group_name=group, user_email=email)
    return redirect(request, "/console/admin", flash=f"Added {email} to group {group}.")


@post("/admin/credit", sync_to_thread=True)
def add_credit(request: Request, ctx: AppContext, admin: Principal, form: dict[str, str]) -> Response:
    amount = forms.cents(form.get("amount"), "Amount")
    target = form.get("account", "")
    with ctx.db.session(write=True) as session:
        if target.startswith("group:"):
            account = Account(target[6:], "group")
        else:
            account = Account(identity.require_user_by_email(session, target).idp_id, "user")
        require_account(session, admin, account)
        billing.credit(session, account, amount, note=form.get("note") or "Credit from an administrator",
                       at=ctx.clock.now())
        balance = billing.balance_cents(session, account)
    return redirect(request, "/console/admin",
                    flash=f"Added ${amount / 100:,.2f} credit to {target}; it now has ${balance / 100:,.2f}.")


ROUTES = [users_page, create_user, set_state, add_to_group, add_credit]
