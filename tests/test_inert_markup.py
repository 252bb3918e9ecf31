"""Script and markup typed in every text field come out inert everywhere they are shown.

Every field a person types gets its own payload (markup, a script, quotes, &, ;, :, a backslash),
entered through the real forms: the public sign-up, the event and screening forms, a guest by
hand, a guest list's cells and its file name, a walk-in at the door, a door device, a staff
account's e-mail, an organizer's message. Then:

- pages: every GET route of app.url_map, as anonymous, door and admin, and the answers of the
  forms themselves (flash messages, a form shown again with an error): no payload's markup comes
  back raw, and each payload is shown, escaped, somewhere;
- e-mails: the HTML part holds the payloads escaped and never raw; the text part holds them as
  typed; the headers hold no injected line;
- PDF tickets: the text extracted from the PDF shows the literal characters;
- the calendar file: parsed back, its fields hold the literal text, and nothing was injected;
- CSV and XLSX exports: the literal text in cells, and every text cell that starts with
  = + - @ is neutralised with an apostrophe (tests/test_exports.py covers attendee names; here
  every other text column: titles, notes, e-mails, staff e-mails, device names, scanned codes).
"""
import csv
import io
import re
from types import SimpleNamespace

import icalendar
import openpyxl
import pytest
import sqlalchemy as sa
from markupsafe import escape
from pypdf import PdfReader

from attack_support import default_arguments, fill, logged_in, password_hash, routes
from pages import hidden
from ticketing.extensions import db
from ticketing.models import CheckIn, Device, Event, Registration, Screening, Ticket, User
from ticketing.services import holds, mailer


def payload(tag):
    """What an attacker types in the field `tag`: markup, a script, and every quoting character."""
    return f'<i>{tag}</i><script>alert("{tag}")</script>"\';,:\\&'


def raw(tag):
    return f"<i>{tag}</i>"


def escaped(tag):
    return f"&lt;i&gt;{tag}&lt;/i&gt;"


EVENT_TAGS = ("evname", "evdesc", "evvenue", "evaddr")
SCREENING_TAGS = ("sctitle", "scorig", "scdir", "sclang", "scsubs", "scdesc", "scnote", "scvenue", "schall")
PERSON_TAGS = ("signup", "guest", "gnote", "imported", "inote", "walkin", "device", "subject", "body", "fname")
TAGS = EVENT_TAGS + SCREENING_TAGS + PERSON_TAGS
# E-mail addresses cannot hold markup; these hold the characters HTML must escape in them.
STAFF_EMAIL = "o'brien&co.staff@example.org"
CONTACT_EMAIL = "o'brien&co.contact@example.org"
SIGNUP_EMAIL = "o'brien&co.signup@example.org"


def _token(client):
    return hidden(client.get("/staff/login").get_data(as_text=True), "csrf_token")


def _post(client, path, data, pages, **options):
    """Post a form with the client's CSRF token; keep every page answered on the way."""
    response = client.post(path, data={**data, "csrf_token": _token(client)}, follow_redirects=True, **options)
    assert response.status_code < 500, (path, response.status_code)
    pages.append((f"POST {path}", response))
    return response


def build_festival(app):
    """Enter a payload in every text field through the forms; return the ids and the answers."""
    with app.app_context():
        admin_user = User(email="admin@example.org", password_hash=password_hash(), role="admin")
        door_user = User(email="door@example.org", password_hash=password_hash(), role="door")
        db.session.add_all([admin_user, door_user])
        db.session.commit()
        admin_id, door_id = admin_user.id, door_user.id
    admin, _ = logged_in(app, admin_id)
    door, _ = logged_in(app, door_id)
    public = app.test_client()
    pages = []

    _post(admin, "/admin/events/new", {
        "name": payload("evname"), "slug": "fest", "description": payload("evdesc") + "\n" + payload("evdesc"),
        "timezone": "Europe/Brussels", "venue": payload("evvenue"), "address": payload("evaddr"),
        "contact_email": CONTACT_EMAIL, "is_published": "y"}, pages)
    with app.app_context():
        event_id = db.session.scalar(sa.select(Event.id))
    _post(admin, f"/admin/events/{event_id}/screenings/new", {
        "title": payload("sctitle"), "original_title": payload("scorig"), "director": payload("scdir"),
        "language": payload("sclang"), "subtitles": payload("scsubs"), "description": payload("scdesc"),
        "note": payload("scnote"), "venue": payload("scvenue"), "hall": payload("schall"),
        "starts_at": "2031-05-01T19:30", "capacity": "50", "max_seats": "4", "is_published": "y"}, pages)
    with app.app_context():
        screening_id = db.session.scalar(sa.select(Screening.id))

    # The public sign-up: once with a mistake (the form comes back with what was typed), then right.
    form = public.get(f"/screenings/{screening_id}").get_data(as_text=True)
    fields = {"csrf_token": hidden(form, "csrf_token"), "form_key": hidden(form, "form_key")}
    wrong = public.post(f"/screenings/{screening_id}", data={**fields, "name": payload("signup"), "email": "nope"})
    assert wrong.status_code == 422
    pages.append(("POST sign-up with a mistake", wrong))
    done = public.post(f"/screenings/{screening_id}", data={**fields, "name": payload("signup"),
                                                             "email": SIGNUP_EMAIL, "seats": "2"},
                       follow_redirects=True)
    assert done.status_code == 200
    pages.append(("POST sign-up", done))
    with app.app_context():
        signup = db.session.scalar(sa.select(Registration).where(Registration.email == SIGNUP_EMAIL))
        signup_id, secret = signup.id, signup.secret
        code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == signup_id))
        confirm = f"/r/{secret}/confirm/{holds.token(secret)}"
    # A new event asks for e-mail confirmation: the person follows the e-mail's link.
    pages.append(("GET the e-mail's confirmation link", public.get(confirm, follow_redirects=True)))

    _post(admin, f"/admin/screenings/{screening_id}/guests/new", {
        "name": payload("guest"), "email": "", "seats": "1", "note": payload("gnote"), "language": "en"}, pages)
    guest_list = io.StringIO()
    csv.writer(guest_list).writerows([["name", "email", "seats", "note"],
                                      [payload("imported"), "", "1", payload("inote")]])
    uploaded = admin.post(f"/admin/screenings/{screening_id}/import", data={
        "csrf_token": _token(admin), "file": (io.BytesIO(guest_list.getvalue().encode()), payload("fname") + ".csv")})
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)[:500]
    preview_path = uploaded.location
    preview = admin.get(preview_path)
    assert preview.status_code == 200
    pages.append(("GET import preview", preview))
    import_token = preview_path.rstrip("/").rsplit("/", 1)[1]
    _post(admin, preview_path, {}, pages)  # confirm

    _post(door, f"/staff/door/{screening_id}/walkin", {"name": payload("walkin"), "seats": "1"}, pages)
    _post(door, f"/staff/door/{screening_id}", {"code": code}, pages)  # the verdict shows the name
    _post(door, f"/staff/door/{screening_id}", {"code": "signup"}, pages)  # a search by name
    _post(admin, "/staff/devices", {"name": payload("device")}, pages)
    with app.app_context():
        device_id = db.session.scalar(sa.select(Device.id))
    _post(admin, f"/staff/devices/{device_id}/revoke", {}, pages)  # the flash names the device
    _post(admin, "/admin/users/new", {"email": STAFF_EMAIL, "role": "door", "password": "a long enough secret"},
          pages)
    with app.app_context():
        staff_id = db.session.scalar(sa.select(User.id).where(User.email == STAFF_EMAIL))
    message = admin.get(f"/admin/screenings/{screening_id}/message").get_data(as_text=True)
    _post(admin, f"/admin/screenings/{screening_id}/message", {
        "subject": payload("subject"), "body": payload("body") + "\n\n" + payload("body"),
        "audience": "confirmed", "form_key": hidden(message, "form_key"), "send": "1"}, pages)
    if "admin.privacy" in app.view_functions:  # one person's data, looked up by e-mail address
        _post(admin, "/admin/privacy", {"email": SIGNUP_EMAIL}, pages)
        _post(admin, "/admin/privacy/erase", {"email": SIGNUP_EMAIL}, pages)
    for query in ("signup", payload("signup"), "<i>"):
        search = admin.get(f"/admin/screenings/{screening_id}/attendees", query_string={"q": query})
        pages.append((f"GET attendees q={query}", search))
    with app.app_context():
        checkin_id = db.session.scalar(sa.select(sa.func.max(CheckIn.id)).where(CheckIn.result == "admitted"))
        outbox_id = db.session.scalar(sa.text("SELECT min(id) FROM outbox"))
    world = SimpleNamespace(
        admin_id=admin_id, door_id=door_id, event_id=event_id, screening_id=screening_id,
        registration_id=signup_id, secret=secret, code=code, device_id=device_id, checkin_id=checkin_id,
        outbox_id=outbox_id, import_token=import_token, other_screening_id=screening_id,
    )
    return SimpleNamespace(world=world, pages=pages, clients={"anonymous": public, "door": door, "admin": admin},
                           staff_id=staff_id)


@pytest.fixture
def database_url(sqlite_url):
    """Escaping happens in the templates, e-mails, PDF, calendar and exports, after the text is
    read back: these tests run on SQLite only (test_fuzz checks on PostgreSQL too that no markup
    sent to any route comes back raw)."""
    return sqlite_url


@pytest.fixture
def festival(app):
    return build_festival(app)


def crawl(app, festival):
    """Every GET route, as each kind of caller: (label, response)."""
    answers = []
    for endpoint, method, rule in routes(app):
        if method != "GET":
            continue
        values = default_arguments(festival.world, endpoint)
        if endpoint == "admin.user_edit":
            values["user_id"] = festival.staff_id
        path = fill(rule, values)
        for who, client in festival.clients.items():
            answers.append((f"GET {path} as {who}", client.get(path)))
    return answers


@pytest.mark.pdf  # renders PDF tickets (a page's download, or a ticket e-mail's attachment)
@pytest.mark.slow  # a sweep of every page or a thread race: in the whole suite, not the quick one
def test_every_page_shows_the_payloads_escaped_and_never_raw(app, festival):
    answers = festival.pages + crawl(app, festival)
    shown = set()
    html_pages = 0
    for label, response in answers:
        assert response.status_code < 500, label
        if label.startswith("GET /api/"):  # names go out as JSON strings, never as a page
            assert response.mimetype == "application/json", label
        if response.mimetype != "text/html":
            continue
        html_pages += 1
        page = response.get_data(as_text=True)
        for tag in TAGS:
            assert raw(tag) not in page, f"{label}: the {tag} field's markup is shown raw"
            if escaped(tag) in page:
                shown.add(tag)
        assert "<script>alert(" not in page, label
        for address in (STAFF_EMAIL, CONTACT_EMAIL, SIGNUP_EMAIL):
            assert address not in page, f"{label}: {address} is shown without escaping & and '"
            if str(escape(address)) in page:
                shown.add(address)
    assert html_pages > 100
    expected = set(TAGS) | {STAFF_EMAIL, CONTACT_EMAIL, SIGNUP_EMAIL}
    assert shown == expected, f"never shown (so not checked): {sorted(expected - shown)}"
    found = festival.clients["admin"].get(f"/api/v1/screenings/{festival.world.screening_id}/tickets?q=signup")
    assert [t["name"] for t in found.get_json()["tickets"]] == [payload("signup")]


# ---------------------------------------------------------------------------------------------
# E-mails


def send_everything(app, inbox):
    """Every message of the outbox, sent to a real SMTP server and read back."""
    with app.app_context():
        for _ in range(5):
            report = mailer.send_due()
            if not report.sent:
                break
    assert inbox.received
    return inbox.received


def _parts(message):
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    return html, text


def test_every_mail_escapes_the_payloads_in_html_and_keeps_them_as_text(app, inbox, festival):
    mails = send_everything(app, inbox)
    shown_html, shown_text, kinds = set(), set(), set()
    for message in mails:
        html, text = _parts(message)
        for tag in TAGS:
            assert raw(tag) not in html, f"{message['Subject']}: the {tag} field's markup is raw in the HTML part"
            if escaped(tag) in html:
                shown_html.add(tag)
                assert payload(tag) in text, f"{message['Subject']}: the text part does not show {tag} as typed"
            if payload(tag) in text:
                shown_text.add(tag)
        assert "<script>alert(" not in html
        kinds.add(message["Subject"].split(":")[0])
    # The ticket of the sign-up (name, screening, event) and the organizer's message at least.
    assert {"signup", "sctitle", "evname", "subject", "body"} <= shown_html, sorted(shown_html)
    assert shown_html == shown_text
    # The headers: no injected line; a header is text, not markup, so kept as typed.
    allowed = {"Subject", "From", "To", "Reply-To", "Date", "Message-ID", "Auto-Submitted", "Content-Language",
               "MIME-Version", "Content-Type", "Content-Transfer-Encoding"}
    for message in mails:
        assert set(message.keys()) <= allowed, set(message.keys()) - allowed
        for name, value in message.items():
            assert "\n" not in str(value) and "\r" not in str(value), (name, value)
    subjects = [m["Subject"] for m in mails]
    assert any(payload("sctitle") in s for s in subjects) and any(payload("subject") in s for s in subjects)


# ---------------------------------------------------------------------------------------------
# PDF tickets


def _pdf_text(data):
    """Each page's text without white space (a wrapped line may break anywhere; payloads have none)."""
    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_pdf_tickets_draw_the_payloads_as_text(app, festival):
    world = festival.world
    mine = festival.clients["anonymous"].get(f"/r/{world.secret}/ticket.pdf")
    assert mine.mimetype == "application/pdf"
    [page] = _pdf_text(mine.get_data())
    everyone = festival.clients["admin"].get(f"/admin/screenings/{world.screening_id}/tickets.pdf")
    pages = _pdf_text(everyone.get_data())
    assert len(pages) == 4  # the sign-up, the guest, the imported guest, the walk-in
    for tag in ("signup", "sctitle", "evname", "scvenue", "schall"):
        assert raw(tag) in page, f"{tag} is not printed as typed on the ticket: {page[:400]}"
    assert payload("signup") in page  # every character is there, in order
    for tag in ("guest", "imported", "walkin"):
        assert sum(raw(tag) in text for text in pages) == 1, tag


# ---------------------------------------------------------------------------------------------
# Calendar file


def test_the_calendar_file_holds_the_payloads_as_text_and_nothing_injected(app, festival):
    response = festival.clients["anonymous"].get(f"/r/{festival.world.secret}/calendar.ics")
    calendar = icalendar.Calendar.from_ical(response.get_data())
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    [event] = events
    assert str(event["SUMMARY"]) == payload("sctitle")
    location = str(event["LOCATION"])
    assert payload("scvenue") in location and payload("schall") in location
    assert payload("scnote") in str(event["DESCRIPTION"])
    assert event["ORGANIZER"].params["CN"] == payload("evname")
    assert str(event["ORGANIZER"]) == f"mailto:{CONTACT_EMAIL}"
    expected = {"UID", "DTSTAMP", "SEQUENCE", "STATUS", "TRANSP", "DTSTART", "DTEND", "SUMMARY", "LOCATION",
                "DESCRIPTION", "URL", "ORGANIZER"}
    assert set(event.keys()) <= expected, set(event.keys()) - expected
    text = response.get_data(as_text=True)
    # Each line is a property of its own: no payload starts a line (no injected property).
    assert not [line for line in text.splitlines() if line.startswith(("<", '"', "'", "alert"))]


# ---------------------------------------------------------------------------------------------
# CSV and XLSX exports


def _csv_rows(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_cells(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [cell for row in sheet.iter_rows() for cell in row]


def test_exports_hold_the_payloads_as_literal_text(app, festival):
    admin = festival.clients["admin"]
    event_id = festival.world.event_id
    attendees = _csv_rows(admin.get(f"/admin/events/{event_id}/export.csv").get_data())
    cells = {cell for row in attendees for cell in row}
    for tag in ("sctitle", "signup", "guest", "gnote", "imported", "inote", "walkin"):
        assert payload(tag) in cells, tag
    assert SIGNUP_EMAIL in cells
    xlsx = {cell.value for cell in _xlsx_cells(admin.get(f"/admin/events/{event_id}/export.xlsx").get_data())}
    assert {payload("sctitle"), payload("signup"), payload("gnote")} <= xlsx


FORMULAS = {
    "title": "=HYPERLINK(\"http://evil.example\",\"x\")",
    "signup_name": "+cmd|' /C calc'!A0",
    "signup_email": "=cmd@example.org",
    "guest_note": "@SUM(1+1)*cmd|' /C calc'!A0",
    "imported_name": "-2+3+cmd|' /C calc'!A0",
    "walkin_name": "=1+1",
    "staff_email": "+staff@example.org",
    "device_name": "@device",
    "scanned": "=2+5",
}


@pytest.fixture
def formula_festival(app):
    """A screening whose every exported text column starts with a formula character."""
    with app.app_context():
        admin_user = User(email="admin@example.org", password_hash=password_hash(), role="admin")
        db.session.add(admin_user)
        db.session.commit()
        admin_id = admin_user.id
    admin, _ = logged_in(app, admin_id)
    pages = []
    _post(admin, "/admin/events/new", {"name": "Fest", "slug": "fest", "timezone": "UTC", "is_published": "y"}, pages)
    with app.app_context():
        event_id = db.session.scalar(sa.select(Event.id))
    _post(admin, f"/admin/events/{event_id}/screenings/new", {
        "title": FORMULAS["title"], "starts_at": "2031-05-01T19:30", "capacity": "50", "max_seats": "4",
        "is_published": "y"}, pages)
    with app.app_context():
        screening_id = db.session.scalar(sa.select(Screening.id))
    public = app.test_client()
    form = public.get(f"/screenings/{screening_id}").get_data(as_text=True)
    assert public.post(f"/screenings/{screening_id}", data={
        "csrf_token": hidden(form, "csrf_token"), "form_key": hidden(form, "form_key"),
        "name": FORMULAS["signup_name"], "email": FORMULAS["signup_email"], "seats": "1"}).status_code == 303
    _post(admin, f"/admin/screenings/{screening_id}/guests/new", {
        "name": "Guest", "email": "", "seats": "1", "note": FORMULAS["guest_note"], "language": "en"}, pages)
    guest_list = f'name,seats\n"{FORMULAS["imported_name"]}",1\n'.encode()
    uploaded = admin.post(f"/admin/screenings/{screening_id}/import", data={
        "csrf_token": _token(admin), "file": (io.BytesIO(guest_list), "guests.csv")})
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)[:500]
    _post(admin, uploaded.location, {}, pages)
    _post(admin, "/admin/users/new", {"email": FORMULAS["staff_email"], "role": "door",
                                      "password": "a long enough secret"}, pages)
    _post(admin, "/staff/devices", {"name": FORMULAS["device_name"]}, pages)
    with app.app_context():
        staff_id = db.session.scalar(sa.select(User.id).where(User.role == "door"))
        token_page = [r for label, r in pages if label == "POST /staff/devices"][0].get_data(as_text=True)
    door, _ = logged_in(app, staff_id)
    _post(door, f"/staff/door/{screening_id}/walkin", {"name": FORMULAS["walkin_name"], "seats": "1"}, pages)
    _post(door, f"/staff/door/{screening_id}", {"code": FORMULAS["scanned"]}, pages)
    device_token = re.search(r'<code[^>]*>([A-Za-z0-9_-]{40,})</code>', token_page)
    assert device_token, "the device's token is shown once on its page"
    scan = app.test_client().post("/api/v1/checkins", json={"code": "NOPE", "screening": screening_id},
                                  headers={"Authorization": f"Bearer {device_token.group(1)}"})
    assert scan.status_code == 200
    with app.app_context():
        stored = {
            "title": db.session.scalar(sa.select(Screening.title)),
            "names": set(db.session.scalars(sa.select(Registration.name))),
            "notes": set(db.session.scalars(sa.select(Registration.note))),
            "staff": set(db.session.scalars(sa.select(User.email))),
            "devices": set(db.session.scalars(sa.select(Device.name))),
        }
    # Stored as typed (the exports, not the forms, neutralise).
    assert stored["title"] == FORMULAS["title"]
    assert {FORMULAS["signup_name"], FORMULAS["imported_name"], FORMULAS["walkin_name"]} <= stored["names"]
    assert FORMULAS["guest_note"] in stored["notes"] and FORMULAS["device_name"] in stored["devices"]
    assert FORMULAS["staff_email"] in stored["staff"]
    return SimpleNamespace(admin=admin, event_id=event_id, screening_id=screening_id)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_exports_neutralise_every_text_column(formula_festival):
    admin, screening_id, event_id = formula_festival.admin, formula_festival.screening_id, formula_festival.event_id
    for what in ("attendees", "checkins"):
        expected = _expected(what)
        for scope in (f"screenings/{screening_id}", f"events/{event_id}"):
            rows = _csv_rows(admin.get(f"/admin/{scope}/export.csv?what={what}").get_data())
            cells = [cell for row in rows[1:] for cell in row]
            assert not [c for c in cells if c.startswith(FORMULA_START)], (scope, what)
            assert expected <= set(cells), (scope, what, sorted(expected - set(cells)))
            workbook = _xlsx_cells(admin.get(f"/admin/{scope}/export.xlsx?what={what}").get_data())
            assert not [c.coordinate for c in workbook if c.data_type == "f"], (scope, what)
            texts = [c.value for c in workbook if isinstance(c.value, str)]
            assert not [t for t in texts if t.startswith(FORMULA_START)], (scope, what)
            assert expected <= set(texts), (scope, what, sorted(expected - set(texts)))


def _expected(what):
    """The neutralised cells an export of `what` must hold."""
    if what == "attendees":
        keys = ("title", "signup_name", "signup_email", "guest_note", "imported_name", "walkin_name")
    else:
        keys = ("title", "walkin_name", "staff_email", "device_name", "scanned")
    return {"'" + FORMULAS[key] for key in keys}
