"""An organizer sets up a festival in a real browser (Debian's Chromium driven by Playwright).

Run alone with the Chromium lock: flock /tmp/chromium.lock .venv/bin/python -m pytest tests/test_events_browser.py
"""
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from browser_support import assert_accessible_on_a_phone, log_in
from factories import PASSWORD
from ticketing.extensions import db
from ticketing.models import Event, Screening
from ticketing.services.accounts import create_user



def log_in_as_organizer(app, page, base):
    with app.app_context():
        create_user("organizer@example.org", "admin", PASSWORD)
    page.goto(base + "/admin/")
    log_in(page, "organizer@example.org", then=r"/admin/$")


def test_an_organizer_sets_up_a_screening_and_the_public_sees_it(live, page):
    app, base = live
    log_in_as_organizer(app, page, base)
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Name", exact=True).fill("Kazakh Film Week")
    page.get_by_label("Web address name").fill("kazakh-film-week")
    page.get_by_label("Time zone").fill("Europe/Brussels")
    page.get_by_label("Venue").fill("Cinema Nova")
    page.get_by_role("button", name="Save the event").click()
    expect(page.get_by_text("The event Kazakh Film Week is created")).to_be_visible()

    page.get_by_role("link", name="Add a screening").first.click()
    page.get_by_label("Title", exact=True).fill("Baqyt Qushağynda")
    page.get_by_label("Starts at").fill("2030-05-01T19:30")  # the festival's local time
    page.get_by_label("Capacity").fill("80")
    page.get_by_label("Published: shown on the public pages").check()
    page.get_by_role("button", name="Save the screening").click()
    expect(page.get_by_text("The screening Baqyt Qushağynda is saved")).to_be_visible()

    page.get_by_role("button", name="Publish Kazakh Film Week").click()
    expect(page.get_by_text("Kazakh Film Week is published")).to_be_visible()

    page.goto(base + "/e/kazakh-film-week")
    expect(page.get_by_role("heading", name="Baqyt Qushağynda")).to_be_visible()
    day, shown = page.locator(".day-heading").first.inner_text(), page.locator(".when time").first.inner_text()
    assert re.search(r"May 1, 2030|1 May 2030", day) and re.search(r"7:30\s?PM|19:30", shown), (day, shown)
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == "kazakh-film-week"))
        starts = db.session.scalar(sa.select(Screening.starts_at).where(Screening.event_id == event.id))
    assert event.is_published and starts.isoformat() == "2030-05-01T17:30:00+00:00"


def test_the_screening_form_is_accessible_on_a_phone(live, page):
    app, base = live
    log_in_as_organizer(app, page, base)
    with app.app_context():
        event_id = db.session.scalar(sa.select(Event.id))
    page.goto(f"{base}/admin/events/{event_id}/screenings/new")
    assert_accessible_on_a_phone(page, "new screening form")
    page.get_by_role("button", name="Save the screening").click()  # empty: errors by the fields
    expect(page.get_by_text("The title is required.")).to_be_visible()
    assert_accessible_on_a_phone(page, "screening form with errors")


def test_a_staff_account_page_fits_a_phone_in_kazakh(live, page):
    """Kazakh's long button labels ("End all sessions of this account") once pushed the page
    sideways: a button's label wraps between words."""
    app, base = live
    log_in_as_organizer(app, page, base)
    with app.app_context():
        door_id = create_user("door@example.org", "door", PASSWORD)[0].id
    page.goto(f"{base}/language/kk?next=/admin/users/{door_id}")
    expect(page.get_by_role("heading", name="Сеанстар")).to_be_visible()
    assert_accessible_on_a_phone(page, "a staff account's page, in Kazakh")
