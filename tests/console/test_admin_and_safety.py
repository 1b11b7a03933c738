"""Administrators' pages; what a second user cannot see or do; forms without their CSRF token."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path

import httpx
from playwright.sync_api import expect

import openqcs.processors
from openqcs.identity import service as identity
from openqcs.identity.accounts import Account
from openqcs.identity.principal import principal_for_user
from openqcs.reservations import flows
from openqcs.reservations import service as reservations
from tests.console.pages import DEMO_EMAIL, PASSWORD, password_user, sign_in

ISA_DIR = Path(openqcs.processors.__file__).parent / "data"


def _email(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}@example.test"


def test_an_admin_adds_credit_to_a_user_and_disables_them(page, browser, console_server, shots, tmp_path):
    admin = password_user(console_server, _email("admin"), admin=True)
    someone = password_user(console_server, _email("someone"))
    sign_in(page, admin, PASSWORD)
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    row = page.locator(f"tr[data-user='{someone}']")
    expect(row.locator("td.credit")).to_have_text("$0.00")
    page.get_by_label("User email, or group:NAME").fill(someone)
    page.get_by_label("Amount (dollars)").fill("25.50")
    page.get_by_label("Note").fill("Welcome credit")
    page.get_by_role("button", name="Add credit").click()
    expect(page.get_by_role("status")).to_have_text(f"Added $25.50 credit to {someone}; it now has $25.50.")
    expect(row.locator("td.credit")).to_have_text("$25.50")
    page.screenshot(path=shots / "admin-users.png", full_page=True)
    # Bad input is explained, not a 500.
    page.get_by_label("User email, or group:NAME").fill(someone)
    page.get_by_label("Amount (dollars)").fill("lots")
    page.get_by_role("button", name="Add credit").click()
    expect(page.get_by_role("alert")).to_contain_text("Amount must be an amount in dollars")
    page.goto("/console/admin")
    page.get_by_role("button", name=f"Disable {someone}").click()
    expect(page.get_by_role("status")).to_have_text(f"Disabled {someone}.")
    expect(row).to_contain_text("disabled")
    page.get_by_role("button", name=f"Enable {someone}").click()
    expect(page.get_by_role("status")).to_have_text(f"Enabled {someone}.")
    expect(row).to_contain_text("active")
    team = f"team-{secrets.token_hex(2)}"
    page.get_by_label("User email", exact=True).fill(someone)
    page.get_by_label("Group (created if new)").fill(team)
    page.get_by_role("button", name="Add to group").click()
    expect(page.get_by_role("status")).to_have_text(f"Added {someone} to group {team}.")
    expect(row).to_contain_text(team)
    created = _email("created")
    page.get_by_label("Email", exact=True).fill(created)
    page.get_by_label("Password (empty: the user must be invited)").fill("a-long-enough-password-1")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_have_text(f"Created user {created}.")
    expect(page.locator(f"tr[data-user='{created}']")).to_contain_text("active")
    newcomer = browser.new_context(base_url=console_server.base_url).new_page()
    sign_in(newcomer, created, "a-long-enough-password-1")
    expect(newcomer.get_by_role("heading", level=1)).to_have_text(f"Welcome, {created}")
    newcomer.context.close()
    # Operations: synthesize a small processor.
    page.goto("/console/admin/operations")
    page.get_by_label("Rows", exact=True).fill("2")
    page.get_by_label("Columns", exact=True).fill("3")
    synthesized = f"Console-{secrets.token_hex(2)}"
    page.get_by_label("Processor id (empty: family-rowsxcols-sseed)").fill(synthesized)
    page.get_by_role("button", name="Synthesize").click()
    expect(page.get_by_role("status")).to_contain_text("ISA version 1 stored.")
    page.screenshot(path=shots / "admin-operations.png", full_page=True)
    # Import an ISA file under a new id; a file that is not JSON is explained.
    imported = f"Imported-{secrets.token_hex(2)}"
    page.get_by_label("ISA JSON file").set_input_files(str(ISA_DIR / "Aspen-9.json"))
    page.get_by_label("Processor id (empty: the document's name)").fill(imported)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_have_text(f"{imported}: ISA version 1 stored.")
    expect(page.locator("#admin-processors")).to_contain_text(imported)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    page.get_by_label("ISA JSON file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid JSON")
    page.goto("/console/admin/operations")
    # Maintenance on it shows in its calendar.
    day = (console_server.ctx.clock.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    page.get_by_label("Processor", exact=True).last.select_option(synthesized)
    page.get_by_label("From (UTC)").fill(f"{day}T10:00")
    page.get_by_label("Until (UTC)").fill(f"{day}T12:00")
    page.get_by_label("Summary").fill("Fridge warm-up")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("status")).to_have_text(f"Maintenance on {synthesized} scheduled.")
    page.goto(f"/console/processors/{synthesized}")
    expect(page.locator("svg.lattice g.qubit")).to_have_count(6)
    expect(page.locator("#calendar")).to_contain_text("Fridge warm-up")


def test_a_user_who_is_not_an_admin_gets_a_clear_refusal(page, console_server):
    sign_in(page, password_user(console_server, _email("plain")), PASSWORD)
    expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("Admin")
    response = page.goto("/console/admin")
    assert response.status == 403
    expect(page.get_by_role("alert")).to_have_text("this page is for administrators")


def _book_for_demo(server) -> int:
    ctx = server.ctx
    start = ctx.clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    with ctx.db.session(write=True) as session:
        while not reservations.is_free(session, "Aspen-M-3", start, start + timedelta(minutes=30)):
            start += timedelta(minutes=30)
        user = identity.require_user_by_email(session, DEMO_EMAIL)
        principal = principal_for_user(session, user)
    booked = flows.create_reservation(ctx.db, principal, Account.of_user(principal), "Aspen-M-3", start,
                                      start + timedelta(minutes=30), "", now=ctx.clock.now(), settings=ctx.settings)
    return booked.id


def test_a_second_user_sees_none_of_the_first_users_reservations(page, console_server, shots):
    number = _book_for_demo(console_server)
    sign_in(page, password_user(console_server, _email("second")), PASSWORD)
    page.goto("/console/reservations")
    assert page.locator("tr[data-reservation]").count() == 0
    page.goto("/console/processors/Aspen-M-3")
    expect(page.locator("#calendar")).to_contain_text("Reserved")
    expect(page.locator("main")).not_to_contain_text(f"#{number}")
    response = page.goto(f"/console/reservations/{number}/cancel")
    assert response.status == 403
    expect(page.get_by_role("alert")).to_have_text(f"reservation {number} belongs to another account")
    page.goto("/console/billing?account=group:demo")
    expect(page.get_by_role("alert")).to_contain_text("you may not act for group account 'demo'")
    page.screenshot(path=shots / "not-allowed.png")
    assert page.goto("/console/reservations/99999999999999999999999/cancel").status == 404


def test_a_form_posted_without_its_csrf_token_is_refused(page, console_server):
    number = _book_for_demo(console_server)
    sign_in(page)
    page.goto(f"/console/reservations/{number}/cancel")
    # The same form, with its CSRF field removed, as a forged cross-site form would be.
    page.locator("input[name=_csrf]").evaluate_all("inputs => inputs.forEach(i => i.remove())")
    page.get_by_role("button", name=re.compile("Cancel and refund")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Form refused")
    expect(page.get_by_role("alert")).to_contain_text("CSRF token")
    page.goto("/console/reservations")
    expect(page.locator(f"tr[data-reservation='{number}']")).to_contain_text("booked")
    # A wrong token is refused too (over plain HTTP, with the browser's own session cookie).
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    answer = httpx.post(f"{console_server.base_url}/console/reservations/{number}/cancel",
                        data={"_csrf": "not-the-token"}, cookies=cookies)
    assert answer.status_code == 403 and "Form refused" in answer.text
    page.goto("/console/reservations")
    expect(page.locator(f"tr[data-reservation='{number}']")).to_contain_text("booked")


def test_an_admin_announces_and_grants_a_restricted_processor(page, browser, console_server):
    admin = password_user(console_server, _email("ops"), admin=True)
    user = password_user(console_server, _email("grantee"))
    sign_in(page, admin, PASSWORD)
    page.goto("/console/admin/operations")
    restricted = f"Private-{secrets.token_hex(2)}"
    page.get_by_label("Processor id (empty: family-rowsxcols-sseed)").fill(restricted)
    page.locator("#synth-public").select_option("no")
    page.get_by_role("button", name="Synthesize").click()
    expect(page.get_by_role("status")).to_contain_text(f"{restricted}: ISA version 1 stored.")
    title = f"Upgrade {secrets.token_hex(2)}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Text (HTML)").fill("<p>Aspen-M-3 is <b>back</b> tomorrow.</p>")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_have_text("Announcement published.")

    other = browser.new_context(base_url=console_server.base_url).new_page()
    sign_in(other, user, PASSWORD)
    expect(other.get_by_role("region", name="Announcement").filter(has_text=title)).to_contain_text(
        "Aspen-M-3 is back tomorrow.")
    other.get_by_role("button", name=f"Dismiss “{title}”").click()
    expect(other.get_by_role("status")).to_have_text("Announcement dismissed.")
    expect(other.locator("main")).not_to_contain_text(title)
    assert other.goto(f"/console/processors/{restricted}").status == 404
    other.goto("/console/processors")
    expect(other.locator("main")).not_to_contain_text(restricted)

    page.locator("#grant-processor").select_option(restricted)
    page.get_by_label("user:EMAIL or group:NAME").fill(f"user:{user}")
    page.get_by_role("button", name="Grant").click()
    expect(page.get_by_role("status")).to_have_text(f"Granted user:{user} access to {restricted}.")
    assert other.goto(f"/console/processors/{restricted}").status == 200
    expect(other.locator("svg.lattice g.qubit")).to_have_count(9)
    other.context.close()
