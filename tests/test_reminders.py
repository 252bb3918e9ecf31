"""Reminders that free seats (issue 21, item 1): a set time before each screening every seat holder
is e-mailed once, in their language, with the ticket and a link that frees all or some of their
seats and promotes the waiting list at once. On both databases, with a real SMTP server, racing
in several processes."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mail_support import PUBLIC_URL, parts
from pages import errors, hidden
from racers import race
from test_mailer import decode_qr
from ticketing.extensions import db
from ticketing.models import Event, OutboxMessage, Registration, Screening, utcnow
from ticketing.services import booking, checkin, guests, mailer, reminders

DAY = timedelta(days=1)


@pytest.fixture
def soon(ctx, make_event, make_screening):
    """A screening of 4 seats starting in 20 hours at a festival that reminds a day before (its
    default), with directions in Kazakh; its id."""
    event_id = make_event()
    event = db.session.get(Event, event_id)
    event.directions = "Metro Arts-Loi, exit Joseph II"
    event.texts = {"kk": {"directions": "Arts-Loi метросы, Joseph II шығысы"}}
    db.session.commit()
    return make_screening(event_id, title="Qyz Jibek", capacity=4, max_seats=4, starts_at=utcnow() + timedelta(hours=20))


def book(screening_id, name, seats=1, when=None, locale="en", email=None):
    """A booking made `when` (3 days ago by default), before the reminder time; its registration."""
    email = email or name.split()[0].lower() + "@example.org"
    return booking.book(screening_id, name, email, seats, locale=locale, now=when or utcnow() - 3 * DAY).registration


def reminded_ids():
    return db.session.scalars(sa.select(OutboxMessage.registration_id).where(OutboxMessage.kind == "reminder")
                              .order_by(OutboxMessage.registration_id)).all()


def sender_pass():
    """What the sender does at each look (flask outbox run): reminders written, then sent."""
    written = reminders.queue_due()
    report = mailer.send_due()
    return written, report


def free_link(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(rf"{re.escape(PUBLIC_URL)}(/r/[\w-]+/free)", text).group(1)


def test_every_seat_holder_booked_before_the_time_is_reminded_once_in_their_language(ctx, inbox, soon):
    db.session.get(Screening, soon).capacity = 5
    db.session.commit()
    ana = book(soon, "Ана Әлиева", seats=3, locale="kk")
    bo = book(soon, "Bo Cancelled")
    booking.cancel(bo.id)
    late = book(soon, "Lea Late", when=utcnow() - timedelta(hours=1))  # after the reminder time (4 hours ago)
    guest = guests.add_guest(soon, "Guest Without Mail", None, 1, "press")  # no address: nothing to send
    cleo = book(soon, "Cleo Waiting", seats=2)  # 5 of 5 seats taken: she waits
    assert (cleo.status, late.status, guest.status) == ("waitlisted", "confirmed", "confirmed")
    mailer.send_due()  # their tickets and the waiting-list message, before the reminder time
    inbox.received.clear()
    written, report = sender_pass()
    assert written == 1 and report.sent == 1
    assert reminded_ids() == [ana.id]
    assert sender_pass() == (0, mailer.SendReport())  # a screening is reminded once
    assert len([m for m in inbox.received if m["Subject"].startswith("Еске салу")]) == 1
    [message] = [m for m in inbox.received if m["To"] == "ана@example.org" or "Еске салу" in m["Subject"]]
    assert message["Content-Language"] == "kk" and "Qyz Jibek" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Arts-Loi метросы, Joseph II шығысы" in text  # the directions in her language
    assert "3 адам" in text or "3 адамды" in text
    registration = db.session.get(Registration, ana.id)
    assert free_link(message) == f"/r/{registration.secret}/free"
    [qr] = [p for ctype, _, p in parts(message) if ctype == "image/png" and p["Content-ID"] and "qr." in p["Content-ID"]]
    assert decode_qr(qr.get_content()) == [registration.ticket.code]
    assert {ctype for ctype, disposition, _ in parts(message) if disposition == "attachment"} == {
        "application/pdf", "text/calendar"}


def test_no_reminder_before_its_time_when_turned_off_cancelled_or_begun(ctx, inbox, make_event, make_screening):
    remind = make_event()
    silent = make_event(slug="silent", name="Silent")
    db.session.get(Event, silent).reminder_hours = None
    db.session.commit()
    early = make_screening(remind, starts_at=utcnow() + timedelta(hours=30))
    draft = make_screening(remind, starts_at=utcnow() + timedelta(hours=2), is_published=False)
    off = make_screening(silent, starts_at=utcnow() + timedelta(hours=2))
    called_off = make_screening(remind, starts_at=utcnow() + timedelta(hours=2))
    begun = make_screening(remind, starts_at=utcnow() - timedelta(minutes=5))
    for screening_id in (early, off, called_off):
        book(screening_id, "Ana Attendee")
    with db.session.begin():  # an organizer's trial booking on a screening not published yet
        db.session.add(Registration(screening_id=draft, name="Olga", email="olga@example.org",
                                    email_normalized="olga@example.org", seats=1, status="confirmed", secret="d" * 32,
                                    created_at=utcnow() - 3 * DAY))
        db.session.get(Screening, draft).seats_taken = 1
    with db.session.begin():
        db.session.get(Screening, called_off).is_cancelled = True
        db.session.add(Registration(screening_id=begun, name="Bo", email="bo@example.org", email_normalized="bo@example.org",
                                    seats=1, status="confirmed", secret="s" * 32, created_at=utcnow() - 3 * DAY))
        db.session.get(Screening, begun).seats_taken = 1
    assert reminders.queue_due() == 0 and reminded_ids() == []
    assert reminders.queue_due(utcnow() + timedelta(hours=7)) == 1  # 23 hours before the early one
    assert reminded_ids() == [db.session.scalar(sa.select(Registration.id).where(Registration.screening_id == early))]


def test_freeing_all_seats_cancels_and_the_first_waiting_person_gets_them(ctx, client, inbox, soon):
    ana = book(soon, "Ana Attendee", seats=2)
    bo = book(soon, "Bo Booked", seats=2)
    cleo = book(soon, "Cleo Waiting", seats=2)
    sender_pass()
    [message] = [m for m in inbox.received if m["To"] == "ana@example.org" and m["Subject"].startswith("Reminder")]
    assert message["Subject"].startswith("Reminder: Qyz Jibek, ")
    assert "Can't come? Free your seats" in message.get_body(preferencelist=("plain",)).get_content()
    path = free_link(message)
    page = client.get(path).get_data(as_text=True)
    assert "All 2 seats: nobody can come" in page and "1 seat: the ticket then admits 1" in page
    response = client.post(path, data={"csrf_token": hidden(page, "csrf_token"), "seats_seen": "2", "seats": "2"})
    assert response.status_code == 303 and response.location == f"/r/{ana.secret}"
    assert "your registration is cancelled" in client.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, ana.id).status == "cancelled"
    assert db.session.get(Registration, cleo.id).status == "confirmed"  # promoted at once (R7)
    screening = db.session.get(Screening, soon)
    assert (screening.seats_taken, screening.seats_freed_by_reminder) == (4, 2)
    mailer.send_due()
    subjects = {(m["To"], m["Subject"].split(":")[0]) for m in inbox.received}
    assert {("ana@example.org", "Registration cancelled"), ("cleo@example.org", "A seat is yours")} <= subjects
    assert db.session.get(Registration, bo.id).status == "confirmed"  # Bo keeps his seats


def test_freeing_some_of_a_group_ticket_keeps_the_rest_and_a_second_press_frees_nothing(ctx, client, soon, admin):
    family = book(soon, "Family Of Three", seats=3)
    waiting = book(soon, "Wanda Waiting", seats=1)
    later = book(soon, "Walt Waiting", seats=2)
    assert (waiting.status, later.status) == ("confirmed", "waitlisted")  # 4 seats: the family and Wanda
    path = f"/r/{family.secret}/free"
    page = client.get(path).get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "seats_seen": "3", "seats": "1"}
    first = client.post(path, data=form)
    assert first.status_code == 303
    assert "you freed 1 seat; your ticket now admits 2" in client.get(first.location).get_data(as_text=True)
    again = client.post(path, data=form)  # the same press again: the registration changed since
    assert again.status_code == 303 and "freed already" in client.get(again.location).get_data(as_text=True)
    db.session.expire_all()
    registration = db.session.get(Registration, family.id)
    assert (registration.status, registration.seats, registration.ticket.seats) == ("confirmed", 2, 2)
    assert db.session.get(Registration, later.id).status == "waitlisted"  # 2 seats do not fit in 1
    screening = db.session.get(Screening, soon)
    assert (screening.seats_taken, screening.seats_freed_by_reminder) == (3, 1)
    dashboard = admin.get(f"/admin/screenings/{soon}/dashboard").get_data(as_text=True)
    assert re.search(r'id="freed-by-reminder">1 seat<', dashboard)
    event_page = admin.get(f"/admin/events/{screening.event_id}/dashboard").get_data(as_text=True)
    assert "Freed through reminders" in event_page and "1 seat" in event_page


def test_those_already_in_cannot_be_freed(ctx, client, soon):
    family = book(soon, "Family Of Three", seats=3)
    code = db.session.get(Registration, family.id).ticket.code
    checkin.check_in(code, soon, seats=2)
    page = client.get(f"/r/{family.secret}/free").get_data(as_text=True)
    assert 'name="seats" value="1"' in page and "All 3" not in page  # one seat left to free
    posted = client.post(f"/r/{family.secret}/free", data={
        "csrf_token": hidden(page, "csrf_token"), "seats_seen": "3", "seats": "2"})
    assert posted.status_code == 422  # no choice to mark: the message heads the form
    assert "Choose how many seats to free: from 1 to 1." in posted.get_data(as_text=True)
    checkin.check_in(code, soon, seats=1)
    page = client.get(f"/r/{family.secret}/free").get_data(as_text=True)
    assert "Everyone on this ticket is in already." in page and 'name="seats"' not in page
    db.session.expire_all()
    assert db.session.get(Registration, family.id).seats == 3


@pytest.mark.parametrize("seats,seen,message", [
    ("", "2", "seats"), ("0", "2", "seats"), ("-1", "2", "seats"), ("3", "2", "seats"), ("abc", "2", "seats"),
    ("٣", "2", "seats"), ("9" * 50, "2", "seats"), ("1\x00", "2", "seats"), ("<b>1</b>", "2", "seats"),
    ("1", "", "expired"), ("1", "x" * 10_000, "expired"), ("1", "-2", "expired"),
])
def test_bad_input_on_the_free_page_is_refused_and_changes_nothing(ctx, client, soon, seats, seen, message):
    ana = book(soon, "Ana Attendee", seats=2)
    page = client.get(f"/r/{ana.secret}/free").get_data(as_text=True)
    answer = client.post(f"/r/{ana.secret}/free", data={"csrf_token": hidden(page, "csrf_token"),
                                                        "seats_seen": seen, "seats": seats})
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    if message == "seats":
        assert errors(text) == {"seats": "Choose how many seats to free: from 1 to 2."}
    else:
        assert "This form had expired" in text
    assert "<b>1</b>" not in text
    db.session.expire_all()
    assert db.session.get(Registration, ana.id).seats == 2 and db.session.get(Screening, soon).seats_taken == 2


def test_a_forged_form_and_a_cancelled_or_waiting_registration(ctx, client, soon):
    ana = book(soon, "Ana Attendee", seats=4)
    bo = book(soon, "Bo Waiting", seats=1)
    assert client.post(f"/r/{ana.secret}/free", data={"seats_seen": "4", "seats": "4"}).status_code == 422  # no CSRF
    assert "You are on the waiting list" in client.get(f"/r/{bo.secret}/free").get_data(as_text=True)
    assert client.get("/r/" + "x" * 32 + "/free").status_code == 404
    booking.cancel(ana.id)
    assert "already cancelled" in client.get(f"/r/{ana.secret}/free").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, bo.id).status == "confirmed"


def test_racing_senders_write_each_reminder_once_and_racing_presses_free_once(database_url, tmp_path, app, soon):
    """8 senders write the reminders at once, and 24 presses of one family's "free 1 seat" race
    with 8 of another's "free all": in 4 processes of 8 threads, on both databases."""
    with app.app_context():
        db.session.execute(sa.update(Screening).where(Screening.id == soon).values(capacity=37))
        db.session.commit()
        people = [book(soon, f"Person {n}", email=f"p{n}@example.org").id for n in range(30)]
        family = book(soon, "Family Of Three", seats=3)
        couple = book(soon, "Couple Of Two", seats=2)
        waiting = book(soon, "Wanda Waiting", seats=4)  # 35 + 4 > 37: she waits
        assert waiting.status == "waitlisted"
    now = utcnow()
    jobs = [("remind", now)] * 8 + [("free", family.id, 1, 3)] * 24 + [("free", couple.id, 2, 2)] * 8
    outcomes = [outcome for _, outcome in race(database_url, tmp_path, jobs)]
    written = sum(int(o.split(":")[1]) for o in outcomes if o.startswith("reminded:"))
    pressed = sorted(o for o in outcomes if not o.startswith("reminded:"))
    assert pressed == ["already_cancelled"] * 7 + ["freed:0"] * 23 + ["freed:1", "freed:2"]
    with app.app_context():
        # Whoever held seats when the reminders were written, once each: the couple if they had
        # not freed theirs yet, else Wanda, who had them by then.
        rows = reminded_ids()
        assert written == len(rows) == len(set(rows)) == 32
        assert set(people) | {family.id} <= set(rows) <= set(people) | {family.id, couple.id, waiting.id}
        screening = db.session.get(Screening, soon)
        assert db.session.get(Registration, family.id).seats == 2
        assert db.session.get(Registration, couple.id).status == "cancelled"
        assert db.session.get(Registration, waiting.id).status == "confirmed"  # 3 freed + 2 free = her 4
        assert (screening.seats_taken, screening.seats_freed_by_reminder) == (36, 3)


def test_the_sender_command_writes_and_sends_the_reminders(app, inbox, soon):
    with app.app_context():
        ana = book(soon, "Ana Attendee")
        mailer.send_due()  # her ticket
    inbox.received.clear()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "1 reminders written" in result.output and "1 sent" in result.output
    assert [m["To"] for m in inbox.received] == ["ana@example.org"]
    with app.app_context():
        assert reminded_ids() == [ana.id]


def test_the_reminder_time_is_an_event_setting(app, admin, make_event):
    event_id = make_event()
    page = admin.get(f"/admin/events/{event_id}").get_data(as_text=True)
    assert re.search(r'name="reminder_hours"[^>]*value="24"', page)
    form = {"csrf_token": admin.csrf, "name": "Fest", "slug": "fest", "timezone": "Europe/Brussels",
            "main_language": "en", "protection": "none"}
    for typed, stored in (("48", 48), ("", None), (" 6 ", 6)):
        answer = admin.post(f"/admin/events/{event_id}", data={**form, "reminder_hours": typed})
        assert answer.status_code == 303, errors(answer.get_data(as_text=True))
        with app.app_context():
            assert db.session.get(Event, event_id).reminder_hours == stored
    for typed in ("0", "337", "abc", "1.5", "9" * 40):
        answer = admin.post(f"/admin/events/{event_id}", data={**form, "reminder_hours": typed})
        assert answer.status_code == 422
        assert "The reminder time must be" in errors(answer.get_data(as_text=True))["reminder_hours"]
    new = admin.get("/admin/events/new").get_data(as_text=True)
    assert re.search(r'name="reminder_hours"[^>]*value="24"', new)
