"""The public journey in a real browser: Debian's Chromium driven by Playwright.

Skips when Chromium or Playwright is missing, unless TICKETING_REQUIRE_BROWSER=1 (set by
.ci/run), which makes a missing browser a failure.
"""
import io
import json
import re
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect

from browser_support import assert_accessible_on_a_phone
from ticketing.extensions import db
from ticketing.models import Answer, Event, Registration, Ticket
from ticketing.services import holds, questions

def fill_and_register(page, name, email, seats=None):
    """Fill the open sign-up form as a person would and press Register."""
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    if seats is not None:
        page.get_by_label("Seats").fill(seats)
    page.get_by_role("button", name="Register").click()


def register(page, base, name="Алия Ануарбек", email="alia@example.org", seats="2"):
    page.goto(base + "/")
    page.get_by_role("link", name=re.compile("^Register")).first.click()
    fill_and_register(page, name, email, seats)


def decode_qr(png_bytes):
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png_bytes)))
    return [barcode.text for barcode in found if barcode.format == zxingcpp.BarcodeFormat.QRCode]


def test_register_and_the_qr_on_screen_decodes_to_the_ticket_code(live, page, tmp_path):
    app, base = live
    register(page, base)
    page.wait_for_url(re.compile(r"/r/"))
    expect(page.get_by_text("You are registered")).to_be_visible()
    expect(page.get_by_text("Admits 2 people")).to_be_visible()
    shot = page.screenshot(full_page=True, path=str(tmp_path / "ticket.png"))
    with app.app_context():
        code = db.session.scalar(sa.select(Ticket.code).join(Registration).where(Registration.email == "alia@example.org"))
    assert decode_qr(shot) == [code]
    expect(page.get_by_text(f"{code[:4]}-{code[4:8]}")).to_be_visible()


def test_png_download_decodes_to_the_ticket_code(live, page):
    app, base = live
    register(page, base, email="png@example.org", seats="1")
    page.wait_for_url(re.compile(r"/r/"))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the QR code (PNG)").click()
    data = Path(download_info.value.path()).read_bytes()
    with app.app_context():
        code = db.session.scalar(sa.select(Ticket.code).join(Registration).where(Registration.email == "png@example.org"))
    assert decode_qr(data) == [code]


def test_the_whole_journey_works_without_javascript(live, browser):
    app, base = live
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 780})
    page = context.new_page()
    register(page, base, email="nojs@example.org", seats="1")
    page.wait_for_url(re.compile(r"/r/"))
    page.get_by_role("link", name=re.compile("Cancel")).click()
    page.get_by_role("button", name="Yes, cancel my registration").click()
    expect(page.get_by_role("heading", name="Registration cancelled")).to_be_visible()
    context.close()
    with app.app_context():
        assert db.session.scalar(sa.select(Registration.status).where(Registration.email == "nojs@example.org")) == "cancelled"


def test_form_errors_sit_next_to_their_fields_and_keep_the_input(live, page):
    _, base = live
    register(page, base, name="Zeynep Yılmaz", email="zeynep@", seats="0")
    email = page.get_by_label("Email")
    assert email.input_value() == "zeynep@"
    assert page.get_by_label("Name").input_value() == "Zeynep Yılmaz"
    assert email.get_attribute("aria-invalid") == "true"
    described = email.get_attribute("aria-describedby").split()
    assert any("does not look like an e-mail" in page.locator(f"#{i}").inner_text() for i in described)
    seats_error = page.locator("#" + page.get_by_label("Seats").get_attribute("aria-describedby").split()[-1])
    assert "at least 1 seat" in seats_error.inner_text()


def public_pages(app, page, base):
    """Visit every kind of public page; yield each one's name once it is open."""
    with app.app_context():
        from ticketing.models import Event, Screening

        festival = db.session.scalar(sa.select(Event))
        full = Screening(event=festival, title="Sold Out Film", starts_at=festival.screenings[0].starts_at, capacity=0, max_seats=1)
        db.session.add_all([full, Event(slug="second", name="Second Festival")])
        db.session.commit()
        full_id = full.id
    page.goto(base + "/")
    yield "festival list"
    page.get_by_role("link", name="Days of Kazakh Cinema").click()
    yield "event"
    page.get_by_role("link", name=re.compile("^Register")).first.click()
    yield "screening"
    page.get_by_role("button", name="Register").click()
    yield "screening with errors"
    fill_and_register(page, "Алия", "a11y@example.org")
    page.wait_for_url(re.compile(r"/r/"))
    yield "ticket"
    page.get_by_role("link", name=re.compile("Cancel")).click()
    yield "cancel"
    page.get_by_role("button", name="Yes, cancel my registration").click()
    yield "cancelled"
    page.goto(f"{base}/screenings/{full_id}")
    yield "full screening"
    fill_and_register(page, "Zeynep", "wait@example.org")
    page.wait_for_url(re.compile(r"/r/"))
    yield "waiting list"
    page.goto(f"{base}/screenings/{full_id}")
    fill_and_register(page, "Zeynep", "wait@example.org")
    page.wait_for_url(re.compile(r"/sent"))
    yield "repeat sign-up"
    page.goto(base + "/no-such-page")
    yield "not found"


def test_public_pages_pass_axe_and_fit_a_360_pixel_phone(live, page):
    app, base = live
    visited = []
    for name in public_pages(app, page, base):
        assert_accessible_on_a_phone(page, name)
        visited.append(name)
    assert len(visited) == 11


def test_tell_a_friend_uses_the_phones_share_sheet_or_copies_the_link(live, browser):
    """Where the browser has the Web Share API, Share opens the phone's sheet with the page's link;
    where it has the Clipboard API, Copy the link copies it and says so."""
    _app, base = live
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    context.add_init_script("navigator.share = async (data) => { window.sharedData = data; };")
    page = context.new_page()
    page.goto(base + "/screenings/1")
    page.get_by_role("button", name="Share").click()
    shared = page.evaluate("window.sharedData")
    assert shared["url"] == base + "/screenings/1" and "Baqyt Qushağynda" in shared["text"]
    page.get_by_role("button", name="Copy the link").click()
    expect(page.locator(".share-status")).to_have_text("The link is copied.")
    assert page.evaluate("navigator.clipboard.readText()") == base + "/screenings/1"
    context.close()


def test_without_the_apis_tell_a_friend_offers_plain_links(live, browser):
    _app, base = live
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="en-GB")
    context.add_init_script("delete Navigator.prototype.share;"
                            " Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});")
    page = context.new_page()
    page.goto(base + "/")  # the festival's page
    for button in ("Share", "Copy the link"):
        expect(page.get_by_role("button", name=button)).to_be_hidden()
    for name in ("E-mail", "WhatsApp", "Telegram"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_label("Link to this page")).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/e/"))
    context.close()


def test_the_phone_header_is_one_row_and_its_language_menu_works_without_javascript(live, browser):
    _app, base = live
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="kk", java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/")
    header = page.locator("header.site").bounding_box()
    brand = page.locator("header.site .brand").bounding_box()
    menu = page.locator(".language-menu summary").bounding_box()
    assert header["height"] <= 80, header  # the festival's name and the menu share one row
    assert abs((brand["y"] + brand["height"] / 2) - (menu["y"] + menu["height"] / 2)) < 20
    expect(page.locator("nav.languages")).to_be_hidden()
    page.locator(".language-menu summary").click()
    page.locator(".language-menu").get_by_role("link", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    context.close()
    wide = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = wide.new_page()
    page.goto(base + "/")
    expect(page.locator("nav.languages").get_by_role("link", name="Қазақша")).to_be_visible()
    expect(page.locator(".language-menu")).to_be_hidden()
    wide.close()


def test_printing_the_ticket_page_gives_one_clean_ticket(live, page):
    """Print (Chromium's own PDF of the page as printed): one page, the ticket's code, film and
    name on it, none of the site's header, buttons or links; the QR code still reads."""
    import pypdf

    register(page, live[1])
    page.wait_for_url(re.compile(r"/r/"))
    short = page.locator(".short-code strong").inner_text()
    page.emulate_media(media="print")
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = pdf.pages[0].extract_text()
    assert len(pdf.pages) == 1
    assert short in text and "Baqyt Qushağynda" in text and "Алия Ануарбек" in text and "Days of Kazakh Cinema" in text
    for gone in ("Download", "Add to calendar", "Cancel", "English", "Tell a friend"):
        assert gone not in text, gone
    shot = page.locator(".ticket .qr").screenshot()
    assert len(decode_qr(shot)) == 1  # the printed QR is the ticket's, readable


def test_a_booking_held_for_its_email_is_confirmed_from_the_link(live, page):
    """Issue 20, item 4, in Chromium on a phone: at a festival that asks for e-mail confirmation,
    Register shows where to look and no ticket; the e-mail's link confirms and shows the QR."""
    app, base = live
    with app.app_context():
        db.session.execute(sa.update(Event).values(protection="email"))
        db.session.commit()
    register(page, base, email="held@example.org", seats="1")
    page.wait_for_url(re.compile(r"/r/[^/]+$"))
    expect(page.get_by_role("heading", name="Check your e-mail to confirm")).to_be_visible()
    expect(page.get_by_text("held@example.org")).to_be_visible()
    assert page.locator(".qr svg").count() == 0
    assert_accessible_on_a_phone(page, "a booking held for its e-mail")
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration).where(Registration.email == "held@example.org"))
        link = f"{base}/r/{registration.secret}/confirm/{holds.token(registration.secret)}"
        code = registration.ticket.code
    page.goto(link)
    expect(page.get_by_text("Your booking is confirmed")).to_be_visible()
    assert decode_qr(page.screenshot(full_page=True)) == [code]


def test_the_organizers_questions_on_a_phone_are_answered_and_checked(live, page):
    """Issue 20, item 2, in Chromium at 360 px: a required yes/no and a consent box; left out, each
    says so next to itself and nothing typed is lost; answered, the booking is made. axe passes."""
    app, base = live
    with app.app_context():
        event_id = db.session.scalar(sa.select(Event.id))
        student = questions.save_question(event_id, {"kind": "yes_no", "label": "Are you a student?", "required": "y"}).id
        consent = questions.save_question(event_id, {"kind": "consent", "label": "I agree to the privacy notice",
                                                     "link": "https://festival.example/privacy"}).id
    page.goto(base + "/")
    page.get_by_role("link", name=re.compile("^Register")).first.click()
    assert_accessible_on_a_phone(page, "a sign-up form with the organizers' questions")
    page.get_by_label("Name").fill("Айгерім Сәрсенбаева")
    page.get_by_label("Email").fill("aigerim@example.org")
    page.get_by_role("button", name="Register").click()
    expect(page.locator(f"#q{student}-error")).to_have_text("Please answer this question.")
    expect(page.locator(f"#q{consent}-error")).to_have_text("Please tick this box to register.")
    expect(page.get_by_label("Name")).to_have_value("Айгерім Сәрсенбаева")
    assert_accessible_on_a_phone(page, "the sign-up form with its questions' errors")
    page.get_by_role("group", name="Are you a student?").get_by_label("Yes").check()
    page.get_by_label("I agree to the privacy notice").check()
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/r/"))
    with app.app_context():
        kept = db.session.execute(sa.select(Answer.question_id, Answer.value)).all()
    assert sorted(kept) == [(student, "yes"), (consent, "yes")]
