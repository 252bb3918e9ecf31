"""Walk-ins at the door page in a real browser: the free-seat count, adding one, the verdict.

Run with the Chromium lock: flock /tmp/chromium.lock .venv/bin/python -m pytest tests/test_walkin_browser.py
"""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from browser_support import assert_accessible_on_a_phone, log_in
from factories import PASSWORD
from ticketing.extensions import db
from ticketing.models import CheckIn, Registration, Screening
from ticketing.services import guests
from ticketing.services.accounts import create_user



@pytest.fixture
def door_page(live, browser):
    """A door volunteer's phone, logged in, on the first screening's door page."""
    app, base = live
    with app.app_context():
        create_user("door@example.org", "door", PASSWORD)
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB")
    page = context.new_page()
    page.goto(base + "/staff/door/1")
    log_in(page, "door@example.org", then=r"/staff/door/1$")
    yield page, app
    context.close()


def free_seats(app):
    with app.app_context():
        screening = db.session.get(Screening, 1)
        return screening.capacity - screening.seats_taken - screening.seats_held


def test_a_walkin_is_admitted_and_the_free_count_goes_down(door_page):
    page, app = door_page
    before = free_seats(app)
    count = page.locator("#count-free")
    assert count.inner_text() == str(before)
    page.get_by_label("Name (optional)").fill("Ерлан Walk-in")
    page.get_by_label("Seats").fill("2")
    page.get_by_role("button", name="Admit a walk-in").click()
    page.locator('#verdict[data-state="admitted"]').wait_for(timeout=10_000)
    text = page.locator("#verdict").inner_text()
    assert "Walk-in admitted: 2 seats" in text and "Ерлан Walk-in" in text
    expect(page.locator("#count-free")).to_have_text(str(before - 2))
    assert free_seats(app) == before - 2
    with app.app_context():
        assert db.session.scalar(sa.select(CheckIn.reason).order_by(CheckIn.id.desc()).limit(1)) == "walkin"
    assert page.get_by_label("Seats").input_value() == "1"  # ready for the next one


def test_the_count_follows_other_doors_and_a_full_hall_disables_walkins(door_page):
    page, app = door_page
    with app.app_context():
        while free_seats(app):  # another door takes every free seat (at most 100 at a time)
            guests.add_walkin(1, "Elsewhere", min(free_seats(app), 100))
    expect(page.locator("#count-free")).to_have_text("0", timeout=8000)
    assert page.get_by_role("button", name="Admit a walk-in").is_disabled()
    assert "No seats are free" in page.locator("#walkin-state").inner_text()


def test_a_refused_walkin_says_why(door_page):
    page, app = door_page
    page.get_by_label("Seats").fill("abc")
    page.get_by_role("button", name="Admit a walk-in").click()
    page.locator('#verdict[data-state="not_valid"]').wait_for(timeout=10_000)
    assert "Walk-in not added" in page.locator("#verdict").inner_text()
    assert "whole number from 1 to 100" in page.locator("#walkin-state").inner_text()
    page.reload()
    with page.expect_response("**/walkins") as answer:  # a number: the server's rule answers
        page.get_by_label("Seats").fill("150")
        page.get_by_role("button", name="Admit a walk-in").click()
    assert answer.value.status == 422
    expect(page.locator("#walkin-state")).to_have_text("Seats must be a whole number from 1 to 100.")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(Registration.source == "walkin")) == 0


def test_the_door_with_walkins_passes_axe_on_a_phone(door_page):
    page, _ = door_page
    assert_accessible_on_a_phone(page, "door with walk-ins")
