"""The attendee lists, a registration's page and its actions, and guests added by hand."""
import html
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from factories import code_of, make_registration
from pages import errors, hidden
from ticketing.extensions import db
from ticketing.models import AuditEntry, CheckIn, OutboxMessage, Registration, Screening, Ticket, utcnow
from ticketing.services import attendees, booking, checkin, tickets

BASE = utcnow() - timedelta(days=1)


def book(app, screening_id, name, email, seats=1, minutes=0):
    """Book at BASE + minutes (the lists' order); return the registration id."""
    return make_registration(screening_id, name, email, seats, app, now=BASE + timedelta(minutes=minutes))


@pytest.fixture
def hall(app, make_screening):
    """A screening with five people in known states; returns (screening id, {name: registration id})."""
    screening = make_screening(capacity=6, max_seats=4)
    ids = {
        "Әлия Ахметова": book(app, screening, "Әлия Ахметова", "aliya@example.kz", 2, minutes=1),
        "Zoë Peeters": book(app, screening, "Zoë Peeters", "zoe@example.be", 1, minutes=2),
        "Bart Claes": book(app, screening, "Bart Claes", "bart@example.be", 3, minutes=3),
        "Ana Waiting": book(app, screening, "Ana Waiting", "ana@example.org", 2, minutes=4),  # full: waits
        "Carl Cancel": None,
    }
    with app.app_context():
        ids["Carl Cancel"] = booking.book(screening, "Carl Cancel", "carl@example.org", 1, now=BASE).registration.id
        booking.cancel(ids["Carl Cancel"])  # frees nothing for Ana (2 seats): she still waits
        checkin.check_in(db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == ids["Bart Claes"])), screening, 1)
    return screening, ids


def names(app, screening_ids, **query):
    with app.app_context():
        return [row.name for row in attendees.list_registrations(screening_ids, **query).rows]


# Search

@pytest.mark.parametrize("typed,found", [("әлия", "Әлия Ахметова"), ("ZOË", "Zoë Peeters"), ("zoe\u0308", "Zoë Peeters")])
def test_search_by_name_folds_unicode_case(app, hall, typed, found):
    assert names(app, hall[0], q=typed) == [found]


def test_search_by_email(app, hall):
    assert names(app, hall[0], q="EXAMPLE.KZ") == ["Әлия Ахметова"]


def test_search_by_ticket_code_prefix_as_printed(app, hall):
    code = code_of(hall[1]["Zoë Peeters"], app)
    assert names(app, hall[0], q=tickets.short_code(code).lower()) == ["Zoë Peeters"]


def test_code_search_needs_four_characters(app, hall):
    code = code_of(hall[1]["Zoë Peeters"], app)
    if code[:3].casefold() in "zoë peeters zoe@example.be":
        pytest.skip("the code's start happens to be in the name or e-mail")
    assert "Zoë Peeters" not in names(app, hall[0], q=code[:3])


def test_search_wildcards_are_literal(app, hall):
    assert names(app, hall[0], q="%") == [] and names(app, hall[0], q="_") == []


# Filters and sorting

@pytest.mark.parametrize("status,expected", [
    ("confirmed", ["Bart Claes", "Zoë Peeters", "Әлия Ахметова"]),
    ("waitlisted", ["Ana Waiting"]),
    ("cancelled", ["Carl Cancel"]),
    ("checked_in", ["Bart Claes"]),
    ("not_in", ["Zoë Peeters", "Әлия Ахметова"]),
])
def test_status_filter(app, hall, status, expected):
    assert names(app, hall[0], status=status) == expected


@pytest.mark.parametrize("sort,expected", [
    ("name", ["Ana Waiting", "Bart Claes", "Carl Cancel", "Zoë Peeters", "Әлия Ахметова"]),
    ("newest", ["Ana Waiting", "Bart Claes", "Zoë Peeters", "Әлия Ахметова", "Carl Cancel"]),
    ("oldest", ["Carl Cancel", "Әлия Ахметова", "Zoë Peeters", "Bart Claes", "Ana Waiting"]),
    ("seats", ["Bart Claes", "Ana Waiting", "Әлия Ахметова", "Carl Cancel", "Zoë Peeters"]),
])
def test_sort_orders(app, hall, sort, expected):
    assert names(app, hall[0], sort=sort) == expected


def test_total_counts_the_whole_filter(app, hall):
    with app.app_context():
        page = attendees.list_registrations(hall[0], status="confirmed", limit=1)
    assert page.total == 3 and len(page.rows) == 1 and page.next_cursor


@pytest.fixture
def crowd(app, make_screening):
    """Two screenings of one event with 23 people; many share a name, a time and a seat count."""
    first, second = make_screening(capacity=100), make_screening(capacity=100, title="Second film")
    for n in range(23):
        book(app, first if n % 3 else second, f"Same Name {n % 4}", f"p{n}@example.org", 1 + n % 2, minutes=n // 5)
    return first, second


@pytest.mark.parametrize("sort", ["name", "newest", "oldest", "seats"])
@pytest.mark.parametrize("which", ["screening", "event"])
def test_keyset_pages_cover_every_row_once_forwards_and_back(app, crowd, sort, which):
    ids = [crowd[0]] if which == "screening" else list(crowd)
    with app.app_context():
        everything = [row.id for row in attendees.list_registrations(ids, sort=sort, limit=500).rows]
        pages, cursor = [], None
        while True:
            page = attendees.list_registrations(ids, sort=sort, after=cursor, limit=4)
            pages.append([row.id for row in page.rows])
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        back, before = [], page.previous_cursor
        while before:
            page = attendees.list_registrations(ids, sort=sort, before=before, limit=4)
            back.insert(0, [row.id for row in page.rows])
            before = page.previous_cursor
    assert [i for p in pages for i in p] == everything and len(everything) == (15 if which == "screening" else 23)
    assert back == pages[:-1]


def test_list_page_shows_rows_count_and_local_times(app, admin, client, hall):
    page = client.get(f"/admin/screenings/{hall[0]}/attendees")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "5 registrations" in text and "Әлия Ахметова" in text and "zoe@example.be" in text
    assert f'href="/admin/registrations/{hall[1]["Zoë Peeters"]}"' in text
    assert '<label for="q">Search</label>' in text and '<label for="status">Status</label>' in text


def test_list_pages_through_next_links(app, admin, client, crowd):
    seen, url = [], f"/admin/screenings/{crowd[0]}/attendees?sort=newest"
    for _ in range(20):
        text = client.get(url).get_data(as_text=True)
        seen += re.findall(r'href="/admin/registrations/(\d+)"', text)
        found = re.search(r'<a rel="next" href="([^"]+)"', text)
        if not found:
            break
        url = html.unescape(found.group(1))
    assert len(seen) == len(set(seen)) == 15


def test_event_wide_list_has_a_screening_column(app, admin, client, crowd):
    with app.app_context():
        event_id = db.session.get(Screening, crowd[0]).event_id
    text = client.get(f"/admin/events/{event_id}/attendees?q=same").get_data(as_text=True)
    assert "23 registrations" in text and "Second film" in text and ">Screening</th>" in text


@pytest.mark.parametrize("q", ["x" * 100000, "ana\x00", "<script>alert(1)</script>", "\u202eevil", "' OR 1=1 --"])
def test_hostile_search_gets_a_clear_answer(app, admin, client, hall, q):
    response = client.get(f"/admin/screenings/{hall[0]}/attendees", query_string={"q": q})
    text = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert "<script>alert(1)" not in text
    if response.status_code == 422:
        assert errors(text)["q"]


def test_bad_filter_and_cursor_get_422(app, admin, client, hall):
    bad_status = client.get(f"/admin/screenings/{hall[0]}/attendees?status=nope")
    bad_cursor = client.get(f"/admin/screenings/{hall[0]}/attendees?after=%%%garbage")
    assert bad_status.status_code == 422 and "choose a status" in bad_status.get_data(as_text=True)
    assert bad_cursor.status_code == 422 and "out of date" in bad_cursor.get_data(as_text=True)


@pytest.mark.parametrize("sort,cursor", [
    ("name", ["name", "x", 10**30]),  # an id no database integer holds
    ("seats", ["seats", 10**30, 1]),
    ("name", "[" * 5000),  # nesting deep enough to exhaust the JSON parser's recursion
])
def test_a_forged_page_link_gets_422(app, admin, client, hall, sort, cursor):
    import base64
    import json

    raw = (cursor if isinstance(cursor, str) else json.dumps(cursor)).encode()
    after = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get(f"/admin/screenings/{hall[0]}/attendees", query_string={"sort": sort, "after": after})
    assert response.status_code == 422 and "out of date" in response.get_data(as_text=True)


# The registration's page

def test_registration_page_says_why_an_email_was_not_sent(app, admin, client, hall):
    registration_id = hall[1]["Zoë Peeters"]
    with app.app_context():
        db.session.execute(
            sa.update(OutboxMessage).where(OutboxMessage.registration_id == registration_id)
            .values(attempts=8, failed_at=utcnow(), last_error="550 5.1.1 <zoe@example.be>: no such user"))
        db.session.commit()
    page = html.unescape(client.get(f"/admin/registrations/{registration_id}").get_data(as_text=True))
    assert "not sent: 550 5.1.1 <zoe@example.be>: no such user" in page


def test_registration_page_shows_the_qr_of_its_code(app, admin, client, hall):
    registration_id = hall[1]["Zoë Peeters"]
    code = code_of(registration_id, app)
    text = client.get(f"/admin/registrations/{registration_id}").get_data(as_text=True)
    import zxingcpp
    from PIL import Image

    decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(tickets.render_qr_png(code))))]
    assert tickets.render_qr_svg(code) in text and decoded == [code]
    assert tickets.short_code(code) in text


def test_registration_history_shows_scans_messages_and_audit(app, admin, client, hall):
    text = client.get(f"/admin/registrations/{hall[1]['Bart Claes']}").get_data(as_text=True)
    history = text[text.index('id="history-heading"'):]
    assert "Door: admitted, 1 seat(s)" in history
    assert "“confirmation” to bart@example.be" in history
    assert "Registered (public)" in history


def post_action(client, registration_id, action, **data):
    page = client.get("/staff/login").get_data(as_text=True)  # the session's token, on any page
    return client.post(f"/admin/registrations/{registration_id}/{action}", data=dict(data, csrf_token=hidden(page, "csrf_token")))


def test_resend_writes_an_outbox_row_and_an_audit_entry(app, admin, client, hall):
    registration_id = hall[1]["Zoë Peeters"]
    response = post_action(client, registration_id, "resend")
    with app.app_context():
        kinds = db.session.scalars(sa.select(OutboxMessage.kind).where(OutboxMessage.registration_id == registration_id)).all()
        audited = db.session.scalar(sa.select(AuditEntry.user_id).where(AuditEntry.action == "registration.resend"))
    assert response.status_code == 303 and kinds == ["confirmation", "confirmation"] and audited == admin.user_id


def test_cancel_by_the_organizer_is_audited_and_promotes(app, admin, client, hall):
    response = post_action(client, hall[1]["Әлия Ахметова"], "cancel")
    with app.app_context():
        cancelled = db.session.get(Registration, hall[1]["Әлия Ахметова"])
        waiting = db.session.get(Registration, hall[1]["Ana Waiting"])
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "registration.cancel")).one()
    assert response.status_code == 303
    assert (cancelled.status, cancelled.cancel_reason, waiting.status) == ("cancelled", "organizer", "confirmed")
    assert (entry.user_id, entry.subject_id, entry.details["reason"]) == (admin.user_id, cancelled.id, "organizer")


def test_cancel_twice_says_it_was_cancelled_already(app, admin, client, hall):
    post_action(client, hall[1]["Zoë Peeters"], "cancel")
    again = post_action(client, hall[1]["Zoë Peeters"], "cancel")
    assert again.status_code == 422 and "already cancelled" in again.get_data(as_text=True)


def test_move_to_another_screening_is_audited(app, admin, client, hall, make_screening):
    other = make_screening(capacity=10, title="Other film")
    response = post_action(client, hall[1]["Zoë Peeters"], "move", to_screening=str(other))
    with app.app_context():
        moved = db.session.get(Registration, hall[1]["Zoë Peeters"])
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "registration.move")).one()
    assert response.status_code == 303 and moved.screening_id == other
    assert (entry.user_id, entry.details["to_screening"]) == (admin.user_id, other)


def test_move_to_a_full_screening_says_so_and_changes_nothing(app, admin, client, hall, make_screening):
    full = make_screening(capacity=1, title="Tiny room")
    response = post_action(client, hall[1]["Әлия Ахметова"], "move", to_screening=str(full))
    with app.app_context():
        kept = db.session.get(Registration, hall[1]["Әлия Ахметова"]).screening_id
    assert response.status_code == 422 and "Not enough seats are free at that screening" in response.get_data(as_text=True)
    assert kept == hall[0]


def test_move_to_a_screening_of_another_event_is_refused(app, admin, client, hall, make_event, make_screening):
    elsewhere = make_screening(event_id=make_event(slug="other"), capacity=10)
    response = post_action(client, hall[1]["Zoë Peeters"], "move", to_screening=str(elsewhere))
    assert response.status_code == 422 and "other screenings of this event" in response.get_data(as_text=True)


def test_check_in_by_hand_admits_and_logs_the_staff_user(app, admin, client, hall):
    registration_id = hall[1]["Әлия Ахметова"]
    response = post_action(client, registration_id, "checkin", seats="1")
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.registration_id == registration_id))
        scan = db.session.scalars(sa.select(CheckIn).where(CheckIn.ticket_id == ticket.id)).one()
    assert response.status_code == 303 and ticket.admitted == 1
    assert (scan.result, scan.staff_user_id, scan.seats) == ("admitted", admin.user_id, 1)


@pytest.mark.parametrize("seats", ["0", "-1", "two", "99999", "", "\x00"])
def test_check_in_by_hand_refuses_a_bad_count(app, admin, client, hall, seats):
    response = post_action(client, hall[1]["Әлия Ахметова"], "checkin", seats=seats)
    with app.app_context():
        admitted = db.session.scalar(sa.select(Ticket.admitted).where(Ticket.registration_id == hall[1]["Әлия Ахметова"]))
    assert response.status_code == 422 and admitted == 0
    assert "People to admit must be a whole number" in response.get_data(as_text=True) or "Fewer people" in response.get_data(as_text=True)


def test_check_in_of_a_waiting_registration_is_refused_with_its_reason(app, admin, client, hall):
    response = post_action(client, hall[1]["Ana Waiting"], "checkin", seats="1")
    assert response.status_code == 422 and "waiting list" in response.get_data(as_text=True)


def test_action_without_csrf_token_changes_nothing(app, admin, client, hall):
    response = client.post(f"/admin/registrations/{hall[1]['Zoë Peeters']}/cancel", data={})
    with app.app_context():
        status = db.session.get(Registration, hall[1]["Zoë Peeters"]).status
    assert response.status_code == 422 and status == "confirmed"


def test_unknown_registration_is_404(admin, client):
    assert client.get("/admin/registrations/999999").status_code == 404


# Guests by hand

def post_guest(client, screening_id, **fields):
    page = client.get(f"/admin/screenings/{screening_id}/guests/new").get_data(as_text=True)
    return client.post(f"/admin/screenings/{screening_id}/guests/new", data=dict(fields, csrf_token=hidden(page, "csrf_token")))


def test_guest_form_shows_held_and_free_seats(app, admin, client, make_screening):
    screening = make_screening(capacity=20, seats_held=5)
    text = client.get(f"/admin/screenings/{screening}/guests/new").get_data(as_text=True)
    assert re.search(r"Seats held for guests</dt><dd>5<", text) and re.search(r"Seats free for the public</dt><dd>15<", text)


def test_add_a_guest_takes_held_seats_and_keeps_the_note(app, admin, client, make_screening):
    screening = make_screening(capacity=20, seats_held=5)
    response = post_guest(client, screening, name="Press: Le Soir", email="", seats="2", note="Photographer")
    with app.app_context():
        guest = db.session.scalars(sa.select(Registration).where(Registration.screening_id == screening)).one()
        hall = db.session.get(Screening, screening)
    assert response.status_code == 303 and response.location.endswith(f"/admin/registrations/{guest.id}")
    assert (guest.source, guest.status, guest.note, guest.created_by_id) == ("guest", "confirmed", "Photographer", admin.user_id)
    assert (hall.seats_taken, hall.seats_held) == (2, 3)


@pytest.mark.parametrize("fields,field", [
    ({"name": "", "seats": "1"}, "name"),
    ({"name": "A\x00B", "seats": "1"}, "name"),
    ({"name": "x" * 5000, "seats": "1"}, "name"),
    ({"name": "Ok", "email": "not-an-email", "seats": "1"}, "email"),
    ({"name": "Ok", "seats": "0"}, "seats"),
    ({"name": "Ok", "seats": "9" * 50}, "seats"),
    ({"name": "Ok", "seats": "1", "note": "n" * 600}, "note"),
])
def test_add_a_guest_with_bad_input_says_why_and_writes_nothing(app, admin, client, make_screening, fields, field):
    screening = make_screening(capacity=20)
    response = post_guest(client, screening, **fields)
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))
    assert response.status_code == 422 and errors(response.get_data(as_text=True))[field] and count == 0


def test_add_a_guest_beyond_the_hall_says_so(app, admin, client, make_screening):
    screening = make_screening(capacity=2)
    response = post_guest(client, screening, name="Big group", seats="3")
    assert response.status_code == 422 and "Not enough seats" in response.get_data(as_text=True)


def test_guest_markup_name_is_stored_as_typed_and_shown_escaped(app, admin, client, make_screening):
    screening = make_screening(capacity=20)
    post_guest(client, screening, name="<b>Bold</b> =1+1", seats="1")
    text = client.get(f"/admin/screenings/{screening}/attendees").get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalar(sa.select(Registration.name))
    assert stored == "<b>Bold</b> =1+1" and "&lt;b&gt;Bold&lt;/b&gt; =1+1" in text and "<b>Bold</b>" not in text
