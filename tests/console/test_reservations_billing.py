"""Booking a slot (price before confirming), seeing it on the calendar and in the balance,
cancelling it (refund before confirming), in a real browser."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect
from sqlalchemy import select

from openqcs.identity import service as identity
from openqcs.identity.models import Group, Membership
from tests.console.pages import PASSWORD, password_user, sign_in


def _credit(page) -> float:
    page.goto("/console/billing")
    return float(page.locator("#balance").inner_text().replace("$", "").replace(",", ""))


def test_book_see_on_calendar_and_balance_then_cancel_with_refund(page, shots):
    sign_in(page)
    before = _credit(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reservations").click()
    page.get_by_label("Processor").select_option("Aspen-M-3")
    page.get_by_label("Length").select_option("1h")
    page.get_by_role("button", name="Find slots").click()
    slots = page.locator("#slots tbody tr")
    expect(slots.first).to_contain_text("$")
    page.screenshot(path=shots / "reservations-search.png", full_page=True)
    listed_price = slots.first.locator("td").nth(2).inner_text()
    slots.first.get_by_role("link", name=re.compile("Review booking")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm reservation")
    expect(page.locator("#price")).to_have_text(listed_price)
    page.screenshot(path=shots / "reservation-confirm.png", full_page=True)
    page.get_by_role("button", name=f"Book for {listed_price}").click()
    expect(page).to_have_url(re.compile(r"/console/processors/Aspen-M-3"))
    flash = page.get_by_role("status")
    expect(flash).to_contain_text(f"charged {listed_price}")
    number = re.search(r"reservation #(\d+)", flash.inner_text()).group(1)
    expect(page.locator("#calendar")).to_contain_text(f"Your reservation #{number}")
    page.locator("#calendar").screenshot(path=shots / "calendar.png")
    price = float(listed_price.replace("$", "").replace(",", ""))
    assert price > 0 and abs(_credit(page) - (before - price)) < 0.005

    page.goto("/console/reservations")
    page.get_by_role("link", name=f"Cancel #{number}").click()
    refund = page.locator("#refund strong").inner_text()
    # The slot starts within 24 h, so the late-cancellation policy refunds half (the default 50 %).
    assert float(refund.strip("$").replace(",", "")) == price * 0.5
    page.get_by_role("button", name=re.compile("Cancel and refund")).click()
    expect(page.get_by_role("status")).to_contain_text(f"Cancelled reservation #{number}; refunded {refund}")
    expect(page.locator(f"tr[data-reservation='{number}']")).to_contain_text("cancelled")
    assert abs(_credit(page) - (before - price + float(refund.strip("$").replace(",", "")))) < 0.005
    page.goto("/console/processors/Aspen-M-3")
    expect(page.locator("#calendar")).not_to_contain_text(f"Your reservation #{number}")
    page.goto("/console/billing")
    expect(page.locator("main")).to_contain_text(f"Cancellation of reservation {number}")
    page.screenshot(path=shots / "billing.png", full_page=True)


def test_a_group_booking_is_shown_to_the_groups_members_only(page, browser, console_server):
    ctx = console_server.ctx
    member = password_user(console_server, f"member-{secrets.token_hex(3)}@example.test")
    outsider = password_user(console_server, f"outsider-{secrets.token_hex(3)}@example.test")
    with ctx.db.session(write=True) as session:
        group = session.scalar(select(Group).where(Group.name == "demo"))
        user = identity.require_user_by_email(session, member)
        session.add(Membership(group_id=group.id, user_id=user.id, created_time=ctx.clock.now()))
    sign_in(page)
    page.goto("/console/reservations?processor=Aspen-9&duration=30m&account=group:demo")
    page.locator("#slots tbody tr").first.get_by_role("link", name=re.compile("Review booking")).click()
    expect(page.locator("main")).to_contain_text("group demo")
    page.get_by_role("button", name=re.compile("^Book for")).click()
    number = re.search(r"reservation #(\d+)", page.get_by_role("status").inner_text()).group(1)

    for email, sees in ((member, True), (outsider, False)):
        other = browser.new_context(base_url=console_server.base_url).new_page()
        sign_in(other, email, PASSWORD)
        other.goto("/console/reservations")
        assert (other.locator(f"tr[data-reservation='{number}']").count() == 1) is sees
        if sees:
            expect(other.get_by_role("heading", name="Group demo")).to_be_visible()
        other.context.close()
