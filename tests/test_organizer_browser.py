"""The issue's whole journey in a real browser: an organizer who has never seen the app sets up a
festival with three screenings, adds ten guests from a CSV file, follows sign-ups on the
dashboard, and exports the list (read back with the csv module)."""
import csv
import io
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from browser_support import log_in
from factories import PASSWORD
from ticketing.extensions import db
from ticketing.models import Event, Registration, Screening
from ticketing.services.accounts import create_user

FILMS = [("Baqyt Qushağynda", "2030-05-01T19:30"), ("Myn Bala: Warriors of the Steppe", "2030-05-02T20:00"),
         ("Бақыт құшағында (encore)", "2030-05-03T18:00")]
GUESTS = ["Әлия Ахметова", "Zoë Peeters", "François Dubois", "Bart Claes", "Айгерім Сейтқали",
          "Jan De Smet", "=HYPERLINK(\"#x\")", "Nurlan Abenov", "Sofie Janssens", "Ömer Yıldız"]


def test_an_organizer_sets_up_a_festival_imports_guests_follows_and_exports(live, browser, tmp_path):
    app, base = live
    with app.app_context():
        create_user("organizer@example.org", "admin", PASSWORD)
    context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="en-GB", accept_downloads=True)
    page = context.new_page()

    # Log in from the staff home and find the back office from there.
    page.goto(base + "/staff/login")
    log_in(page, "organizer@example.org")
    page.get_by_role("link", name="Back office: events, attendees, exports").click()

    # The festival and its three screenings.
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Name", exact=True).fill("Kazakh Film Days 2030")
    page.get_by_label("Web address name").fill("kazakh-film-days-2030")
    page.get_by_label("Time zone").fill("Europe/Brussels")
    page.get_by_label("Venue").fill("Cinema Nova")
    page.get_by_role("button", name="Save the event").click()
    for title, starts in FILMS:
        page.get_by_role("link", name="Add a screening").first.click()
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_label("Starts at").fill(starts)
        page.get_by_label("Capacity").fill("40")
        page.get_by_label("Published: shown on the public pages").check()
        page.get_by_role("button", name="Save the screening").click()
        expect(page.get_by_text(f"The screening {title} is saved")).to_be_visible()
    page.get_by_role("button", name="Publish Kazakh Film Days 2030").click()
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == "kazakh-film-days-2030"))
        ids = db.session.scalars(sa.select(Screening.id).where(Screening.event_id == event.id).order_by(Screening.starts_at)).all()
    assert len(ids) == 3

    # A member of the public signs up, in a browser of their own.
    public = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB").new_page()
    public.goto(base + "/e/kazakh-film-days-2030")
    public.get_by_role("link", name=re.compile("Baqyt Qushağynda")).first.click()
    public.get_by_label("Name").fill("Aruzhan Public")
    public.get_by_label("Email").fill("aruzhan@example.org")
    public.get_by_role("button", name="Register").click()
    public.wait_for_url(re.compile(r"/r/"))
    public.context.close()

    # Ten guests from a CSV file, through the attendee list of the first screening.
    csv_file = tmp_path / "guests.csv"
    csv_file.write_text("name;email;seats\n" + "".join(f"{g};g{n}@example.org;1\n" for n, g in enumerate(GUESTS)), "utf-8")
    page.goto(f"{base}/admin/screenings/{ids[0]}/attendees")
    page.get_by_role("link", name="Import guests from CSV").click()
    page.get_by_label("Guest list (CSV file)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_role("button", name="Confirm and add the guests").click()
    expect(page.get_by_text("10 guests added.")).to_be_visible()

    # The dashboard counts the sign-up and the guests.
    page.get_by_role("navigation", name="Back office").get_by_role("link", name="Dashboard").click()
    page.get_by_role("link", name="Kazakh Film Days 2030").first.click()
    row = page.locator("tr", has=page.get_by_role("link", name="Baqyt Qushağynda", exact=True))
    assert "11" in row.inner_text() and "28%" in row.inner_text(), row.inner_text()

    # The export of the event's attendees, as the organizer's browser downloads it.
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Attendees \(CSV\)")).click()
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    names = {r["Name"] for r in rows}
    assert {"Aruzhan Public", "Әлия Ахметова", "Айгерім Сейтқали", "Ömer Yıldız"} <= names
    assert "'=HYPERLINK(\"#x\")" in names  # neutralised: a spreadsheet shows it as text
    assert len(rows) == 11
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(Registration.screening_id.in_(ids)))
    assert stored == 11
    context.close()


def test_from_a_phone_an_organizer_creates_a_screening_finds_exports_and_writes_to_its_attendees(live, browser):
    """Issue 19's promise, at 360 px in the lobby: a new screening, its attendees found, exported
    and written to (previewed, then sent), every step by tapping what the phone shows."""
    app, base = live
    with app.app_context():
        create_user("organizer@example.org", "admin", PASSWORD)
        event_id = db.session.scalar(sa.select(Event.id).order_by(Event.id))
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.goto(base + "/staff/login?next=/admin/")
    log_in(page, "organizer@example.org", then=r"/admin/$")

    page.goto(f"{base}/admin/events/{event_id}")
    page.get_by_role("link", name="Add a screening").first.click()
    page.get_by_label("Title", exact=True).fill("Lobby Screening")
    page.get_by_label("Starts at").fill("2030-05-04T20:00")
    page.get_by_label("Capacity").fill("30")
    page.get_by_label("Published: shown on the public pages").check()
    page.get_by_role("button", name="Save the screening").click()
    expect(page.get_by_text("The screening Lobby Screening is saved")).to_be_visible()
    with app.app_context():
        screening_id = db.session.scalar(sa.select(Screening.id).where(Screening.title == "Lobby Screening"))
        from ticketing.services import booking

        booking.book(screening_id, "Dana Lobby", "dana@example.org", 1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"{base}/admin/screenings/{screening_id}/attendees")
    page.get_by_label("Search").fill("dana")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("table.attendees td[data-label='Name']")).to_have_text("Dana Lobby")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Attendees \(CSV\)")).click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert any("Dana Lobby" in row for row in rows)

    page.get_by_role("link", name="Write to the attendees").click()
    page.get_by_label("Subject", exact=True).fill("Doors open at 19:45")
    page.get_by_label("Message", exact=True).fill("See you in the lobby.")
    page.get_by_role("button", name="Preview the message").click()
    expect(page.get_by_role("heading", name="Send this message to 1 person?")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Send to 1 person").click()
    expect(page.get_by_text("The message will be sent to 1 person within a minute.")).to_be_visible()
    context.close()
