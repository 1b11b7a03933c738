"""Signing in and out, and the processors pages, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.console.pages import DEMO_EMAIL, sign_in


def test_sign_in_shows_the_overview_and_sign_out_ends_the_session(page, shots):
    page.goto("/console/processors")
    expect(page).to_have_title(re.compile("Sign in"))
    sign_in(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(DEMO_EMAIL)
    page.screenshot(path=shots / "overview.png", full_page=True)
    cookie = next(c for c in page.context.cookies() if c["name"] == "oqcs_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto("/console/processors")
    expect(page).to_have_title(re.compile("Sign in"))


def test_aspen_m3_lattice_has_80_qubits_a_legend_and_a_metric_selector(page, shots):
    sign_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Processors").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quantum processors")
    page.get_by_role("link", name="Aspen-M-3", exact=True).click()
    expect(page).to_have_title(re.compile("^Aspen-M-3"))
    lattice = page.locator("svg.lattice")
    expect(lattice).to_have_attribute("data-qubits", "80")
    expect(page.locator("svg.lattice g.qubit")).to_have_count(80)
    assert page.locator("svg.lattice g.qubit.dead").count() >= 1  # Aspen-M-3 has a dead qubit
    legend = page.get_by_label("Colour legend")
    expect(legend).to_contain_text("fRO ≥ 99 %")
    expect(legend).to_contain_text("dead")
    page.screenshot(path=shots / "processor-fRO.png", full_page=False)
    # Colour by fCZ: couplers take the colours, and the legend follows.
    page.get_by_label("Colour by").select_option("fCZ")
    expect(lattice).to_have_attribute("data-metric", "fCZ")
    expect(legend).to_contain_text("fCZ ≥ 99 %")
    colours = {page.locator("svg.lattice line.edge").nth(i).get_attribute("stroke") for i in range(20)}
    assert len(colours) > 1
    lattice.screenshot(path=shots / "lattice-fCZ.png")
    # The calibration table sorts by a column from the keyboard.
    header = page.locator("#calibration th", has_text="fRO").get_by_role("button")
    header.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#calibration th", has_text="fRO")).to_have_attribute("aria-sort", "ascending")
    values = [float(v or "nan") for v in page.locator("#calibration tbody td:nth-child(3)").evaluate_all(
        "cells => cells.map(c => c.dataset.value)")]
    present = [v for v in values if v == v]
    assert present == sorted(present) and len(present) >= 79
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the ISA (JSON)").click()
    assert download.value.suggested_filename == "Aspen-M-3-isa.json"


def test_a_keyboard_alone_signs_in_and_reaches_the_processors(page):
    page.goto("/console/login")
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=re.compile("^Sign in"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email")).to_be_focused()  # autofocus on the issuer's page
    page.keyboard.type(DEMO_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type("openqcs-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console/?$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Processors").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quantum processors")


def test_a_wrong_password_is_explained_on_the_sign_in_page(page):
    page.goto("/console/signin")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    expect(page).to_have_title(re.compile("^Sign in"))


def test_an_expired_access_token_is_refreshed_without_signing_in_again(page, console_server):
    sign_in(page)
    before = next(c["value"] for c in page.context.cookies() if c["name"] == "oqcs_session")
    console_server.move_clock(console_server.settings.access_token_ttl + 3600)  # past the access token's life
    try:
        page.goto("/console/billing")
        expect(page.get_by_role("heading", level=1)).to_have_text("Billing")
        after = next(c["value"] for c in page.context.cookies() if c["name"] == "oqcs_session")
        assert after != before  # new tokens, sent back in the cookie
        page.goto("/console/processors")
        expect(page.get_by_role("heading", level=1)).to_have_text("Quantum processors")
    finally:
        console_server.move_clock(0)


def test_unknown_console_pages_and_processors_are_explained(page):
    sign_in(page)
    assert page.goto("/console/no/such/page").status == 404
    expect(page.get_by_role("alert")).to_have_text("there is no console page at /console/no/such/page")
    assert page.goto("/console/static/console.css").status == 200
    assert page.goto("/console/processors/No-Such-QPU").status == 404
    expect(page.get_by_role("alert")).to_have_text("quantum processor 'No-Such-QPU' not found")
    assert page.goto("/console/reservations?processor=Aspen-M-3&duration=7m").status == 422
    expect(page.get_by_role("alert")).to_contain_text("multiple of 15m")
