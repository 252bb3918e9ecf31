"""Five languages: the reader's choice (a remembered switcher, else the browser's), every page,
e-mail and PDF rendered in each, and the Kazakh attendee's whole ticket by e-mail."""
import html
import io
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask_babel import force_locale, gettext
from pypdf import PdfReader

from mail_support import parts
from pages import hidden
from test_pdf_tickets import decoded_pages
from ticketing.database import write_transaction
from ticketing.extensions import db
from ticketing.models import OutboxMessage, Registration, Screening, utcnow
from ticketing.services import announcements, booking, mailer
from ticketing.services.notifications import KINDS, notify

LANGUAGES = ["en", "fr", "nl", "kk", "ru"]
STARTS = datetime(2030, 11, 14, 18, 30, tzinfo=timezone.utc)  # 19:30 in Brussels


@pytest.fixture
def database_url(sqlite_url):
    """Languages do not depend on the database (the locale is a plain column: test_announcements
    reads it back on both): these tests run on SQLite only."""
    return sqlite_url


def translated(app, language, text, **values):
    with app.test_request_context(), force_locale(language):
        return gettext(text, **values)


def html_lang(page):
    return re.search(r'<html lang="([^"]+)"', page).group(1)


@pytest.fixture
def film(make_event, make_screening):
    event_id = make_event(name="Days of Kazakh Cinema", venue="Cinéma Galeries", slug="days")
    return make_screening(event_id, title="Baqyt Qushağynda", starts_at=STARTS, capacity=10)


def test_the_browser_language_is_used_until_the_reader_chooses(client, film):
    assert html_lang(client.get("/e/days").get_data(as_text=True)) == "en"
    for header, expected in [("fr-BE,fr;q=0.9,en;q=0.5", "fr"), ("nl-BE", "nl"), ("kk-KZ,ru;q=0.8", "kk"),
                             ("ru-RU,ru;q=0.9", "ru"), ("de-DE,de;q=0.9", "en"), ("xx;q=bad,,", "en")]:
        page = client.get("/e/days", headers={"Accept-Language": header}).get_data(as_text=True)
        assert html_lang(page) == expected, header
    response = client.get("/language/nl?next=/e/days", headers={"Accept-Language": "fr"})
    assert response.status_code == 303 and response.location == "/e/days"
    assert "lang=nl" in response.headers["Set-Cookie"] and "SameSite=Lax" in response.headers["Set-Cookie"]
    page = client.get("/e/days", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert html_lang(page) == "nl"  # the choice wins over the browser's preference, and is kept


def test_the_switcher_links_every_language_and_returns_to_the_same_page(client, film):
    page = client.get(f"/screenings/{film}?x=1").get_data(as_text=True)
    row = re.search(r'<nav class="languages".*?</nav>', page, re.S).group(0)  # the phone's menu holds the same links
    menu = re.search(r'<details class="language-menu">.*?</details>', page, re.S).group(0)
    assert re.findall(r'<a href="[^"]+"', row) == re.findall(r'<a href="[^"]+"', menu)
    page = row
    links = re.findall(r'<a href="(/language/[^"]+)" lang="(\w+)" hreflang="\w+"[^>]*>([^<]+)</a>', page)
    assert [(code, name) for _href, code, name in links] == [
        ("en", "English"), ("fr", "Français"), ("nl", "Nederlands"), ("kk", "Қазақша"), ("ru", "Русский")]
    for href, code, _name in links:
        path, query = html.unescape(href).split("?", 1)
        assert path == f"/language/{code}" and parse_qs(query) == {"next": [f"/screenings/{film}?x=1"]}
    response = client.get(html.unescape(links[4][0]))
    assert response.status_code == 303 and response.location == f"/screenings/{film}?x=1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
                                    "", "\u2028/x", "http:/evil.example"])
def test_the_switcher_never_leaves_the_site(client, target):
    response = client.get("/language/fr", query_string={"next": target})
    assert response.status_code == 303 and response.location == "/"


def test_an_unknown_language_is_ignored(client, film):
    response = client.get("/language/xx?next=/e/days")
    assert response.status_code == 303 and "Set-Cookie" not in response.headers
    client.set_cookie("lang", "<script>")  # a forged cookie falls back to the browser's language
    assert html_lang(client.get("/e/days", headers={"Accept-Language": "ru"}).get_data(as_text=True)) == "ru"


def test_pages_say_they_vary_by_language(client, film):
    assert {"Accept-Language", "Cookie"} <= set(client.get("/e/days").vary)


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_speak_the_language_with_local_dates(app, client, film, language):
    client.set_cookie("lang", language)
    page = client.get("/e/days").get_data(as_text=True)
    assert html_lang(page) == language
    day = format_date(STARTS.astimezone(ZoneInfo("Europe/Brussels")).date(), "full", locale=language)
    assert day in page and "Baqyt Qushağynda" in page  # the title kept as written
    form = client.get(f"/screenings/{film}").get_data(as_text=True)
    assert translated(app, language, "Register") in form
    response = client.post(f"/screenings/{film}", data={
        "csrf_token": hidden(form, "csrf_token"), "form_key": hidden(form, "form_key"),
        "name": "", "email": "ana@example.org", "seats": "1"})
    assert response.status_code == 422
    message = translated(app, language, "Please enter your name.")
    assert message in response.get_data(as_text=True)
    assert (message == "Please enter your name.") == (language == "en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_and_back_office_pages_render_in_every_language(app, admin, film, language):
    admin.set_cookie("lang", language)
    with app.app_context():
        registration = booking.book(film, "Ana", "ana@example.org").registration
        event_id = db.session.get(Screening, film).event_id
    for path in ["/staff/", f"/staff/door/{film}", "/staff/devices", "/admin/", "/admin/events/new",
                 f"/admin/events/{event_id}", f"/admin/events/{event_id}/screenings/new",
                 f"/admin/screenings/{film}/edit", f"/admin/screenings/{film}/cancel", "/admin/dashboard",
                 f"/admin/events/{event_id}/dashboard", f"/admin/screenings/{film}/dashboard",
                 f"/admin/screenings/{film}/attendees", f"/admin/events/{event_id}/attendees",
                 f"/admin/registrations/{registration.id}", f"/admin/screenings/{film}/message",
                 "/admin/users", "/admin/users/new", "/admin/audit", "/admin/outbox",
                 f"/admin/screenings/{film}/guests/new", f"/admin/screenings/{film}/import"]:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert html_lang(response.get_data(as_text=True)) == language, path
    logout = admin.get("/staff/login")
    assert translated(app, language, "Log in") in logout.get_data(as_text=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_of_e_mail_and_the_pdf_render_in_every_language(app, inbox, film, language):
    with app.app_context():
        rid = booking.book(film, "Ana", "ana@example.org", locale=language).registration.id
        held = booking.book(film, "Ana", "ana.held@example.org", locale=language).registration.id
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        with write_transaction() as session:
            session.get(Registration, held).hold_until = utcnow() + timedelta(minutes=10)  # waits for its link
            for kind in KINDS:
                notify(session, session.get(Registration, held if kind == "confirm_email" else rid), kind)
        announcements.send(film, "Doors at 19:45", "See you there.", "confirmed", "k" * 24)
        report = mailer.send_due()
    assert report.sent == len(KINDS) + 1, report
    hello = translated(app, language, "Hello %(name)s,", name="Ana")
    for message in inbox.received:
        assert message["Content-Language"] == language
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert hello in text, message["Subject"]
        for _type, disposition, part in parts(message):
            if part.get_content_type() == "application/pdf":
                pdf_text = PdfReader(io.BytesIO(part.get_content())).pages[0].extract_text()
                assert "Baqyt Qushağynda" in pdf_text


def test_a_kazakh_attendee_gets_a_kazakh_ticket_that_scans_and_a_calendar_at_local_time(app, client, inbox, film, tmp_path):
    """Issue 5, done when: registered in Kazakh, the real SMTP server receives a Kazakh e-mail
    with a PDF ticket whose QR decodes to the ticket's code and a calendar entry at 19:30 in
    Brussels."""
    client.get("/language/kk")
    form = client.get(f"/screenings/{film}").get_data(as_text=True)
    assert html_lang(form) == "kk"
    response = client.post(f"/screenings/{film}", data={
        "csrf_token": hidden(form, "csrf_token"), "form_key": hidden(form, "form_key"),
        "name": "Айгерім Сәрсенбаева", "email": "aigerim@example.org", "seats": "2"})
    assert response.status_code == 303
    with app.app_context():
        registration = db.session.scalar(sa.select(Registration))
        assert registration.locale == "kk"
        code = registration.ticket.code
        assert mailer.send_due().sent == 1
    [message] = inbox.received
    subject = translated(app, "kk", "Your ticket: %(title)s", title="Baqyt Qushağynda")
    assert message["Subject"] == subject and subject != "Your ticket: Baqyt Qushağynda"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert translated(app, "kk", "Hello %(name)s,", name="Айгерім Сәрсенбаева") in text
    assert format_date(STARTS.astimezone(ZoneInfo("Europe/Brussels")).date(), "full", locale="kk") in text
    attachments = {part.get_content_type(): part.get_content() for part in message.iter_attachments()}

    pdf = attachments["application/pdf"]
    assert decoded_pages(pdf, tmp_path) == [[code]]
    pdf_text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Айгерім Сәрсенбаева" in pdf_text

    calendar = icalendar.Calendar.from_ical(attachments["text/calendar"])
    [event] = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None and str(event["DTSTART"].params["TZID"]) == "Europe/Brussels"
    assert (start.hour, start.minute) == (19, 30) and start == STARTS
    assert "Baqyt Qushağynda" in str(event["SUMMARY"])


@pytest.mark.parametrize("typed,expected", [
    ("fr", "fr"), ("FR", "fr"), ("fr-BE", "fr"), ("ru_RU", "ru"), ("Français", "fr"), ("french", "fr"),
    ("Қазақша", "kk"), ("kazakh", "kk"), ("Nederlands", "nl"), ("  English ", "en"), ("", "nl"), (None, "nl"),
])
def test_a_guest_language_is_read_from_a_code_or_a_name(ctx, typed, expected):
    from ticketing.services.guests import clean_language

    assert clean_language(typed, default="nl") == expected


@pytest.mark.parametrize("typed", ["de", "xx", "<script>", "français!", "f", 5, "\x00fr"])
def test_an_unknown_guest_language_is_refused_with_the_choices(ctx, typed):
    from ticketing.services.guests import clean_language

    with pytest.raises(ValueError, match="en, fr, nl, kk, ru"):
        clean_language(typed)


def test_a_guest_added_by_hand_gets_e_mails_in_the_chosen_language(app, admin, inbox, film):
    admin.set_cookie("lang", "fr")
    page = admin.get(f"/admin/screenings/{film}/guests/new").get_data(as_text=True)
    assert re.search(r'<option selected value="fr">Français</option>', page)  # the organizer's language first
    data = {"csrf_token": hidden(page, "csrf_token"), "name": "Journaliste", "email": "press@example.org",
            "seats": "1", "note": "", "language": "de"}
    refused = admin.post(f"/admin/screenings/{film}/guests/new", data=data)
    assert refused.status_code == 422 and "en, fr, nl, kk, ru" in refused.get_data(as_text=True)
    assert admin.post(f"/admin/screenings/{film}/guests/new", data={**data, "language": "kk"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Registration.locale)) == "kk"
        assert mailer.send_due().sent == 1
    assert inbox.received[0]["Content-Language"] == "kk"


def test_an_imported_guest_list_may_give_each_guest_a_language(app, admin, film):
    admin.set_cookie("lang", "nl")
    token = hidden(admin.get("/staff/login").get_data(as_text=True), "csrf_token")
    rows = "name;email;language\nAigerim;a@example.org;kk\nIvan;i@example.org;Русский\nJan;j@example.org;\nX;x@example.org;klingon\n"
    response = admin.post(f"/admin/screenings/{film}/import", content_type="multipart/form-data",
                          data={"csrf_token": token, "file": (io.BytesIO(rows.encode()), "guests.csv")})
    page = admin.get(response.location).get_data(as_text=True)
    assert "klingon" in page and "en, fr, nl, kk, ru" in page  # the bad row says what is allowed
    cells = re.findall(r"<td[^>]*>(en|fr|nl|kk|ru)</td>", page)
    assert cells == ["kk", "ru", "nl"]  # an empty cell: the uploader's language


# Latin-script words a Kazakh or Russian page may show besides the festival's own data: formats,
# settings, commands, codes, and the guest list's column names (the import reads them as written).
TECHNICAL = set("""CSV XLSX PDF PNG JPEG WebP GIF QR USB Bluetooth API Authorization Bearer UTC UTF
MAIL SERVER ID instance outbox flask run Europe Brussels name email seats note language nom naam
places plaatsen courriel mail days kazakh cinema Lead actress Zoë Peeters Press Le Soir Alia Anuarbek
English Français Nederlands en fr nl kk ru WhatsApp Telegram WCAG AA""".split())


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_no_english_is_left_on_any_page_in_cyrillic(app, admin, language):
    """Every page in Russian or Kazakh (Cyrillic), with the demo festival: any Latin word must
    come from the data (titles, names, venue, e-mail addresses) or be a technical token."""
    from ticketing.demo import load_demo
    from ticketing.models import Event, User

    with app.app_context():
        load_demo()
        screening = db.session.scalars(sa.select(Screening).order_by(Screening.id)).first()
        booked = booking.book(screening.id, "Ana", "ana@example.org")
        sid, eid, rid, secret = screening.id, screening.event_id, booked.registration.id, booked.registration.secret
        data = " ".join(str(value) for model in (Event, Screening, Registration, User)
                        for row in db.session.scalars(sa.select(model)) for value in vars(row).values()
                        if isinstance(value, str))
    known = set(re.findall(r"[A-Za-zÀ-ÿğşıİ]+", data)) | TECHNICAL
    admin.set_cookie("lang", language)
    paths = [f"/e/days-of-kazakh-cinema", f"/screenings/{sid}", f"/r/{secret}", f"/r/{secret}/cancel", "/nope",
             "/staff/", f"/staff/door/{sid}", "/staff/devices", "/admin/", "/admin/events/new", f"/admin/events/{eid}",
             f"/admin/events/{eid}/screenings/new", f"/admin/screenings/{sid}/edit", f"/admin/screenings/{sid}/cancel",
             "/admin/dashboard", f"/admin/events/{eid}/dashboard", f"/admin/screenings/{sid}/dashboard",
             f"/admin/screenings/{sid}/attendees", f"/admin/events/{eid}/attendees", f"/admin/registrations/{rid}",
             f"/admin/screenings/{sid}/message", "/admin/users", "/admin/users/new", "/admin/audit", "/admin/outbox",
             f"/admin/screenings/{sid}/guests/new", f"/admin/screenings/{sid}/import", "/admin/users/1",
             "/find-my-ticket", "/find-my-ticket/sent"]
    leftovers = {}
    for path in paths:
        page = admin.get(path).get_data(as_text=True)
        page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S)
        shown = re.findall(r">([^<]+)<", page) + re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
        text = html.unescape(" ".join(shown))
        # e-mail addresses, links, paths, ticket short codes and colours (#0b5cad)
        text = re.sub(r"\S+@\S+|https?://\S+|/[\w/.…-]*|\b[A-Z2-7]{4}-[A-Z2-7]{4}\b|#[0-9a-fA-F]{6}\b", " ", text)
        words = set(re.findall(r"[A-Za-zÀ-ÿğşıİ]{2,}", text)) - known
        if words:
            leftovers[path] = sorted(words)
    assert not leftovers, leftovers


@pytest.mark.parametrize("language,expected", [
    ("en", {"one": "{n} still to come", "other": "{n} still to come"}),
    ("ru", {"one", "few", "many", "other"}),
    ("fr", {"one", "many", "other"}),
    ("kk", {"one", "other"}),
])
def test_counted_texts_for_scripts_have_every_plural_category(app, language, expected):
    """The door script picks a form with Intl.PluralRules: every CLDR category of the language
    is given, each with its number."""
    from ticketing.formatting import js_ngettext

    with app.test_request_context(), force_locale(language):
        forms = js_ngettext("%(num)d still to come", "%(num)d still to come")
        seats = js_ngettext("Walk-in admitted: %(num)d seat", "Walk-in admitted: %(num)d seats")
    assert (forms if isinstance(expected, dict) else set(forms)) == expected
    assert all("{n}" in form for form in [*forms.values(), *seats.values()])
    if language == "ru":  # 1 место, 2 места, 5 мест
        assert len({seats["one"], seats["few"], seats["many"]}) == 3
