"""The guest-list import in a real browser: upload with progress, preview, confirm, see the guests."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from browser_support import assert_accessible_on_a_phone, log_in
from factories import PASSWORD
from ticketing.extensions import db
from ticketing.models import Registration
from ticketing.services.accounts import create_user

GUESTS = ["Әлия Ахметова", "Zoë Peeters", "François Dubois", "Bart Claes", "Айгерім Сейтқали",
          "Jan De Smet", "Marie Lambert", "Nurlan Abenov", "Sofie Janssens", "Ömer Yıldız"]


@pytest.fixture
def organizer(live, browser, tmp_path):
    """A logged-in admin's phone, and a 10-guest CSV file on disk."""
    app, base = live
    with app.app_context():
        create_user("organizer@example.org", "admin", PASSWORD)
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB")
    page = context.new_page()
    page.goto(base + "/staff/login")
    log_in(page, "organizer@example.org", then=r"/staff/$")
    rows = "".join(f"{name};guest{n}@example.org;{1 + n % 2};Press\n" for n, name in enumerate(GUESTS))
    csv_file = tmp_path / "guests.csv"
    csv_file.write_bytes(("\ufeffName;E-mail;Seats;Note\n" + rows).encode("utf-8"))
    yield app, base, page, csv_file
    context.close()


def test_organizer_imports_ten_guests_and_sees_them_in_the_list(organizer):
    app, base, page, csv_file = organizer
    page.goto(base + "/admin/screenings/1/import")
    page.get_by_label("Guest list (CSV file)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r"/admin/screenings/1/import/[\w-]+$"))
    expect(page.get_by_text("The list is ready: 10 guests will be added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Әлия Ахметова")).to_be_visible()
    assert_accessible_on_a_phone(page, "import preview")
    page.get_by_role("button", name="Confirm and add the guests").click()
    page.wait_for_url(re.compile(r"/admin/screenings/1/attendees\?"))
    expect(page.get_by_text("10 guests added.")).to_be_visible()
    listed = page.locator("table.attendees tbody tr td:first-child a").all_inner_texts()
    assert sorted(listed) == sorted(GUESTS)
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(Registration.source == "guest"))
    assert count == 10
    assert_accessible_on_a_phone(page, "attendee list")


def test_registration_page_shows_a_qr_that_decodes_to_the_ticket_code(organizer):
    import io

    import zxingcpp
    from PIL import Image

    app, base, page, _ = organizer
    with app.app_context():
        from ticketing.services import guests

        added = guests.add_guest(1, "Zoë Peeters", "zoe@example.be", 2, "Press")
        code = added.ticket.code
    page.goto(base + f"/admin/registrations/{added.id}")
    shot = page.locator(".qr").screenshot()
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))]
    assert found == [code]
    assert_accessible_on_a_phone(page, "registration page")


def test_a_bad_file_shows_its_message_in_place(organizer, tmp_path):
    app, base, page, _ = organizer
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    page.goto(base + "/admin/screenings/1/import")
    page.get_by_label("Guest list (CSV file)").set_input_files(str(empty))
    page.get_by_role("button", name="Upload and check").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "The file is empty" in alert.inner_text()
    assert_accessible_on_a_phone(page, "import upload with an error")
