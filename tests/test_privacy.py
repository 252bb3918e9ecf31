"""Privacy: `flask privacy purge` of old screenings, and one person's export and erasure in the
back office. Each test runs on SQLite and on PostgreSQL (the `app` fixture)."""
import json
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from pages import errors, hidden
from ticketing.database import write_transaction
from ticketing.errors import NotMovableError
from ticketing.extensions import db
from ticketing.models import AuditEntry, CheckIn, Event, OutboxMessage, Registration, Screening, Ticket, utcnow
from ticketing.services import (
    announcements, audit, booking, checkin, events, guests, imports, mailer, personal_data, privacy, stats)

DAY = timedelta(days=1)


def dump(app):
    """Every row of every table, as text: what a person's data must be absent from."""
    with app.app_context():
        rows = [f"{table.name}: {tuple(row)}" for table in db.metadata.sorted_tables
                for row in db.session.execute(sa.select(table)).all()]
        db.session.rollback()
    return "\n".join(rows)


def instance_files(app, folder):
    path = Path(app.instance_path) / folder
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []


def codes_and_secrets(app, screening_id):
    with app.app_context():
        return db.session.execute(
            sa.select(Ticket.code, Registration.secret).join(Registration).where(Registration.screening_id == screening_id)
        ).all()


@pytest.fixture
def festival(app, make_event, make_screening):
    """An old screening (ended 100 days ago) full of personal data, a recent one (ended 10 days
    ago) and a coming one; returns their ids and the personal strings of each."""
    now = utcnow()
    event_id = make_event()
    old_start, recent_start = now - 100 * DAY, now - 10 * DAY
    old = make_screening(event_id, title="Old film", starts_at=old_start, capacity=4, runtime_minutes=100)
    recent = make_screening(event_id, title="Recent film", starts_at=recent_start, capacity=10)
    coming = make_screening(event_id, title="Coming film", capacity=10)
    with app.app_context():
        before = old_start - 2 * DAY
        ana = booking.book(old, "Ana Oldtimer", "Ana.Old@Example.org", 2, locale="kk", now=before).registration
        carl = booking.book(old, "Carl Cancelled", "carl.old@example.org", 1, now=before).registration
        booking.cancel(carl.id, now=before)
        guests.add_guest(old, "Gita Guestname", "gita.old@example.org", 1, "Gita sits with the embassy", now=before)
        wendy = booking.book(old, "Wendy Waiting", "wendy.old@example.org", 2, now=before).registration
        assert wendy.status == "waitlisted"
        guests.resend_ticket(ana.id, now=before)
        announcements.send(old, "Doors open at 19:00", "See you there.", "active", "k" * 32, now=before)
        with db.session.begin():
            # No action records an attendee's address in its details today; this one would be scrubbed.
            audit.record(db.session, None, "registration.resend", db.session.get(Registration, ana.id),
                         email="Ana.Old@Example.org", seats=2)
        mailer.send_due(now=before)  # no MAIL_SERVER: copies in instance/outbox/
        with db.session.begin():
            db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.registration_id == wendy.id)
                               .values(sent_at=None, failed_at=before,
                                       last_error="550 5.1.1 <wendy.old@example.org>: Recipient address rejected"))
        ana_code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == ana.id))
        assert checkin.check_in(ana_code, old, 1, scanned_at=old_start).result == "admitted"
        assert checkin.check_in("MECARD:N:Ana Oldtimer;", old, scanned_at=old_start).reason == "unknown_code"
        guests.add_walkin(old, "Walter Walkin", 1, now=old_start)
        rita = booking.book(recent, "Rita Recent", "rita@example.org", 1, now=recent_start - DAY).registration
        mailer.send_due(now=recent_start - DAY)
        rita_code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == rita.id))
        checkin.check_in(rita_code, recent, scanned_at=recent_start)
        booking.book(coming, "Fiona Future", "fiona@example.org", 1)
    old_personal = ["Ana Oldtimer", "ana oldtimer", "Ana.Old@Example.org", "ana.old@example.org", "Carl Cancelled",
                    "carl.old@example.org", "Gita Guestname", "gita.old@example.org", "Gita sits with the embassy",
                    "Wendy Waiting", "wendy.old@example.org", "Walter Walkin"]
    old_tickets = codes_and_secrets(app, old)
    old_personal += [value for pair in old_tickets for value in pair]
    kept = ["Rita Recent", "rita@example.org", rita_code, "Fiona Future", "fiona@example.org"]
    return {"old": old, "recent": recent, "coming": coming, "old_personal": old_personal, "kept": kept,
            "old_tickets": old_tickets}


def figures(app, client, screening_ids, moment):
    """The dashboard's and the API's numbers for these screenings, at `moment`."""
    with app.app_context():
        shown = db.session.scalars(sa.select(Screening).where(Screening.id.in_(screening_ids))).all()
        event = db.session.get(Event, shown[0].event_id)
        numbers = (stats.screening_stats(shown, now=moment), stats.signups_over_time(screening_ids, event.tz),
                   stats.arrivals(shown))
        counts = db.session.execute(
            sa.select(Registration.screening_id, Registration.status, Registration.source, sa.func.count(),
                      sa.func.sum(Registration.seats)).group_by(Registration.screening_id, Registration.status,
                                                                Registration.source)
            .order_by(Registration.screening_id, Registration.status, Registration.source)).all()
        door = db.session.execute(
            sa.select(CheckIn.screening_id, CheckIn.result, CheckIn.reason, CheckIn.seats, CheckIn.scanned_at)
            .order_by(CheckIn.id)).all()
        db.session.rollback()
    pages = [client.get(path).get_data(as_text=True)
             for path in ["/admin/dashboard", *(f"/admin/screenings/{i}/dashboard" for i in screening_ids)]]
    return numbers, counts, door, client.get("/api/v1/screenings").get_json(), pages


def purge(app, *args):
    result = app.test_cli_runner().invoke(args=["privacy", "purge", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_purge_anonymises_old_screenings_and_keeps_recent_ones(app, admin, festival):
    old_files = set(instance_files(app, "outbox"))
    with app.app_context():
        old_messages = {f"{i}.eml" for i in db.session.scalars(
            sa.select(OutboxMessage.id).join(Registration).where(Registration.screening_id == festival["old"]))}
    assert len(old_messages & old_files) >= 5  # the copies of the messages sent in development
    before = dump(app)
    assert all(value in before for value in festival["old_personal"] + festival["kept"])

    output = purge(app, "--days", "90")

    after = dump(app)
    left = [value for value in festival["old_personal"] if value in after]
    assert not left, left
    assert all(value in after for value in festival["kept"])
    assert set(instance_files(app, "outbox")) == old_files - old_messages
    assert "Screenings that ended more than 90 days ago: 1." in output
    assert "Anonymised 5 registrations" in output, output
    with app.app_context():
        old = db.session.scalars(sa.select(Registration).where(Registration.screening_id == festival["old"])).all()
        assert {(r.name, r.email, r.email_normalized, r.note, r.locale) for r in old} == {
            (privacy.ANONYMISED_NAME, "", None, "", "en")}
        scans = db.session.scalars(sa.select(CheckIn.scanned_code).where(CheckIn.screening_id == festival["old"])).all()
        assert scans and set(scans) == {""}
        messages = db.session.scalars(sa.select(OutboxMessage).join(Registration)
                                      .where(Registration.screening_id == festival["old"])).all()
        assert {m.recipient for m in messages} == {""}
        assert not any("@" in m.last_error for m in messages)
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "privacy.purge")).one()
        assert entry.user_id is None and entry.details["registrations"] == 5 and entry.details["days"] == 90
    # The old links and codes lead nowhere now.
    old_code, old_secret = festival["old_tickets"][0]
    assert app.test_client().get(f"/r/{old_secret}").status_code == 404
    with app.app_context():
        assert checkin.check_in(old_code, festival["old"]).reason == "unknown_code"


def test_purge_keeps_every_count_and_dashboard(app, admin, festival):
    ids = [festival["old"], festival["recent"], festival["coming"]]
    moment = utcnow()
    before = figures(app, admin, ids, moment)
    purge(app, "--days", "90")
    after = figures(app, admin, ids, moment)
    assert after == before
    # And the figures are not empty ones: the old screening had its people.
    old_stats = before[0][0][festival["old"]]
    assert (old_stats.confirmed, old_stats.waiting, old_stats.people_in) == (4, 1, 2)


def test_the_privacy_page_shows_the_setting_and_what_waits(app, admin, festival):
    page = admin.get("/admin/privacy").get_data(as_text=True)
    assert "kept for 90 days after their screening ends" in page
    assert "5 registrations of screenings that ended longer ago still hold personal data" in page
    purge(app)
    assert "Nothing from those screenings is waiting" in admin.get("/admin/privacy").get_data(as_text=True)
    app.config["PRIVACY_KEEP_DAYS"] = "90 days"
    page = admin.get("/admin/privacy")
    assert page.status_code == 200 and "PRIVACY_KEEP_DAYS is not a whole number" in page.get_data(as_text=True)


def test_a_second_purge_does_nothing(app, festival):
    purge(app, "--days", "90")
    once = dump(app)
    output = purge(app, "--days", "90")
    assert "Nothing to anonymise" in output
    assert dump(app) == once


def test_a_dry_run_counts_and_changes_nothing(app, festival):
    before, files = dump(app), instance_files(app, "outbox")
    output = purge(app, "--days", "90", "--dry-run")
    assert "Dry run, nothing changed. Would anonymise 5 registrations" in output, output
    assert dump(app) == before and instance_files(app, "outbox") == files


def test_purge_works_in_batches_and_prints_progress(app, festival):
    output = purge(app, "--days", "90", "--batch-size", "2")
    assert "Anonymising registrations" in output
    assert "in 3 batches" in output, output


def test_days_come_from_the_setting(app, festival):
    app.config["PRIVACY_KEEP_DAYS"] = 5
    output = purge(app)
    assert "more than 5 days ago: 2." in output
    assert "Rita Recent" not in dump(app) and "Fiona Future" in dump(app)
    app.config["PRIVACY_KEEP_DAYS"] = "soon"
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 2 and "PRIVACY_KEEP_DAYS must be a whole number" in result.output
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--days", "-1"])
    assert result.exit_code == 2 and "--days" in result.output


def test_a_screening_counts_from_its_end(app, make_screening):
    now = utcnow()
    cases = {  # (starts, running time): ended more than 90 days ago?
        "long film, ended 89 days 23 hours ago": (now - 90 * DAY - timedelta(hours=1), 120, False),
        "unknown running time (2 hours), same start": (now - 90 * DAY - timedelta(hours=1), None, False),
        "short film, ended 90 days 30 minutes ago": (now - 90 * DAY - timedelta(hours=1), 30, True),
        "unknown running time, started 90 days 3 hours ago": (now - 90 * DAY - timedelta(hours=3), None, True),
    }
    ids = {title: make_screening(title=title, starts_at=starts, runtime_minutes=runtime)
           for title, (starts, runtime, _) in cases.items()}
    with app.app_context():
        ended = set(privacy.ended_screening_ids(90, now))
    assert {title for title, i in ids.items() if i in ended} == {t for t, (_, _, old) in cases.items() if old}


def test_purge_removes_expired_guest_list_previews(app, make_screening):
    screening = make_screening()
    with app.app_context():
        preview = imports.build_preview(screening, b"name,email\nPia Preview,pia@example.org\n")
        stale = imports.save_preview(preview, screening, 1)
        fresh = imports.save_preview(preview, screening, 1)
    folder = Path(app.instance_path) / "imports"
    day_ago = time.time() - imports.KEEP_SECONDS - 60
    os.utime(folder / f"{stale}.json", (day_ago, day_ago))
    output = purge(app, "--days", "90")
    assert instance_files(app, "imports") == [f"{fresh}.json"]
    assert "1 files" in output


def test_sqlite_keeps_no_copy_of_the_old_values_in_its_files(sqlite_url, tmp_path):
    """The file and its write-ahead log hold none of the purged values (an open app keeps the
    log: the purge checkpoints it)."""
    from conftest import make_test_app

    app = make_test_app(sqlite_url, tmp_path)
    with app.app_context():
        screening = db.session.get(Screening, _old_screening(app))
        booking.book(screening.id, "Sofia Sqlite", "sofia.sqlite@example.org", 1, now=screening.starts_at - DAY)
        purge(app, "--days", "90")
        path = Path(sqlite_url.removeprefix("sqlite:///"))
        for file in path.parent.glob(path.name + "*"):
            content = file.read_bytes()
            assert b"sofia.sqlite@example.org" not in content and b"Sofia Sqlite" not in content, file.name
        db.session.remove()
        db.engine.dispose()


def _old_screening(app):
    with app.app_context():
        event = Event(slug="old", name="Old festival", timezone="Europe/Brussels")
        db.session.add(event)
        db.session.flush()
        screening = Screening(event_id=event.id, title="Old", starts_at=utcnow() - 200 * DAY, capacity=5)
        db.session.add(screening)
        db.session.commit()
        return screening.id


# One person's data in the back office


@pytest.fixture
def person(app, make_event, make_screening):
    """Ana has a seat at a full coming screening (Carol waits behind her), a past screening where
    she was checked in, and a message from the organizers; Bob is at both screenings too."""
    event_id = make_event()
    past = make_screening(event_id, title="Past film", starts_at=utcnow() - 3 * DAY, capacity=10)
    full = make_screening(event_id, title="Full film", capacity=3)
    with app.app_context():
        before = utcnow() - 5 * DAY
        ana_past = booking.book(past, "Ana Person", "ana@example.org", 2, now=before).registration
        bob_past = booking.book(past, "Bob Other", "bob@example.org", 1, now=before).registration
        announcements.send(past, "Thank you for coming", "The Q&A video is online.", "active", "a" * 32)
        for registration in (ana_past, bob_past):
            code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == registration.id))
            checkin.check_in(code, past)
        ana = booking.book(full, "Ana P.", "ANA@example.org", 2).registration
        bob = booking.book(full, "Bob Other", "bob@example.org", 1).registration
        carol = booking.book(full, "Carol Waiting", "carol@example.org", 2).registration
        assert (ana.status, bob.status, carol.status) == ("confirmed", "confirmed", "waitlisted")
        guests.resend_ticket(ana.id)
        codes = dict(db.session.execute(sa.select(Registration.id, Ticket.code).join(Ticket)).all())
    return {"past": past, "full": full, "ana": [ana_past.id, ana.id], "bob": [bob_past.id, bob.id],
            "carol": carol.id, "codes": codes}


def post(client, path, email, form_path="/admin/privacy", **extra):
    token = hidden(client.get(form_path).get_data(as_text=True), "csrf_token")
    return client.post(path, data={"csrf_token": token, "email": email, **extra})


def test_lookup_shows_what_is_stored_about_the_address(admin, person):
    page = post(admin, "/admin/privacy", " ana@EXAMPLE.org ").get_data(as_text=True)
    assert "Data stored about ana@example.org" in page
    assert 'id="count-registrations">2<' in page and "Ana Person" in page and "Ana P." in page
    assert "Bob Other" not in page and "Carol" not in page
    for registration_id in person["ana"]:
        assert f'id="registration-{registration_id}"' in page


def test_export_holds_everything_about_the_person_and_nothing_about_others(app, admin, person):
    response = post(admin, "/admin/privacy/export", "ana@example.org")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="personal-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    data = json.loads(body)
    assert data["email"] == "ana@example.org"
    registrations = {r["id"]: r for r in data["registrations"]}
    assert set(registrations) == set(person["ana"])
    past, coming = (registrations[i] for i in person["ana"])
    assert (past["name"], past["seats"], past["status"], past["screening"]["title"]) == ("Ana Person", 2, "confirmed", "Past film")
    assert past["ticket"]["code"] == person["codes"][person["ana"][0]] and past["ticket"]["admitted"] == 2
    assert [c["result"] for c in past["checkins"]] == ["admitted"]
    assert {m["kind"] for m in past["messages"]} == {"confirmation", "announcement"}
    assert any(m.get("body") == "The Q&A video is online." for m in past["messages"])
    assert {m["recipient"] for r in data["registrations"] for m in r["messages"]} == {"ana@example.org", "ANA@example.org"}
    assert coming["name"] == "Ana P." and coming["status"] == "confirmed"
    assert [e["action"] for e in data["audit_log"]] == ["registration.resend"]
    for other in ["bob", "Bob", "carol", "Carol"] + [person["codes"][i] for i in person["bob"] + [person["carol"]]]:
        assert other not in body, other
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "person.export")).one()
        assert entry.details == {"registrations": 2} and entry.subject_id is None


def test_erasure_asks_first_and_changes_nothing_until_confirmed(app, admin, person):
    before = dump(app)
    page = post(admin, "/admin/privacy/erase", "ana@example.org")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Erase the data of ana@example.org?" in text
    assert "1 registration for a screening still to come will be cancelled first" in text
    assert "2 registrations will be anonymised" in text
    assert dump(app) == before


def test_erasure_cancels_promotes_the_waiting_list_and_anonymises(app, admin, person):
    response = post(admin, "/admin/privacy/erase/confirm", "ana@example.org")
    assert response.status_code == 303
    flashed = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Erased: 2 registrations anonymised. 1 was cancelled first; 1 person from the waiting list got a seat." in flashed
    after = dump(app)
    for value in ["Ana Person", "Ana P.", "ana@example.org", "ANA@example.org"] + [person["codes"][i] for i in person["ana"]]:
        assert value not in after, value
    assert "Bob Other" in after and "carol@example.org" in after
    with app.app_context():
        past, coming = (db.session.get(Registration, i) for i in person["ana"])
        assert (past.status, past.seats, past.ticket.admitted) == ("confirmed", 2, 2)  # the past stays counted
        assert (coming.status, coming.cancel_reason) == ("cancelled", "organizer")
        carol = db.session.get(Registration, person["carol"])
        assert carol.status == "confirmed"
        assert db.session.get(Screening, person["full"]).seats_taken == 3
        told = db.session.scalars(sa.select(OutboxMessage.kind).where(OutboxMessage.registration_id == carol.id)).all()
        assert "promoted" in told
        ana_unsent = db.session.scalars(sa.select(OutboxMessage).where(
            OutboxMessage.registration_id.in_(person["ana"]), OutboxMessage.sent_at.is_(None))).all()
        assert ana_unsent and all(m.failed_at is not None and m.recipient == "" for m in ana_unsent)
        entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        erased = [e for e in entries if e.action == "person.erase"]
        assert len(erased) == 1 and erased[0].details == {
            "registrations": 2, "cancelled": 1, "promoted": 1, "messages": 5, "checkins": 1}
        # No address in the log, but the staff account's own (its creation records it).
        log = json.dumps([(e.action, e.subject_type, e.details) for e in entries if e.subject_type != "users"])
        assert "@" not in log and "Ana P" not in log and "person.erase" in log
    # Erased: the address is unknown now.
    page = post(admin, "/admin/privacy", "ana@example.org").get_data(as_text=True)
    assert "Nothing is stored about this e-mail address." in page
    assert post(admin, "/admin/privacy/erase/confirm", "ana@example.org").status_code == 404


def test_an_erasure_cut_short_leaves_nothing_half_done(app, person, monkeypatch):
    """The cancellations, promotions, anonymisation and audit entry are one transaction: a failure
    after all of them were written (the database gone before the commit) leaves every row as it
    was, and running the erasure again does it whole."""
    before = dump(app)
    anonymise = privacy.anonymise

    def anonymise_then_fail(session, ids, now=None):
        anonymise(session, ids, now)
        session.flush()
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(privacy, "anonymise", anonymise_then_fail)
    with app.app_context():
        with pytest.raises(sa.exc.OperationalError):
            personal_data.erase("ana@example.org")
        db.session.rollback()
    assert dump(app) == before  # Ana's coming seat kept, Carol still waiting, nothing anonymised
    monkeypatch.setattr(privacy, "anonymise", anonymise)
    with app.app_context():
        result = personal_data.erase("ana@example.org")
        assert (result.registrations, result.cancelled, result.promoted) == (2, 1, 1)
        assert db.session.get(Registration, person["carol"]).status == "confirmed"
    assert "Ana P." not in dump(app)


def seats_add_up(app):
    """R1's bookkeeping: every screening's seats_taken is the sum of its confirmed seats."""
    with app.app_context():
        confirmed = sa.func.coalesce(sa.func.sum(Registration.seats).filter(Registration.status == "confirmed"), 0)
        rows = db.session.execute(
            sa.select(Screening.id, Screening.seats_taken, confirmed)
            .outerjoin(Registration, Registration.screening_id == Screening.id).group_by(Screening.id)
        ).all()
        db.session.rollback()
    return {sid: (taken, int(total)) for sid, taken, total in rows if taken != total} == {}


def other_screening(app, person):
    """Another screening of the full one's event, at the same time, with seats to spare: its id."""
    with app.app_context():
        full = db.session.get(Screening, person["full"])
        other = Screening(event_id=full.event_id, title="Other film", starts_at=full.starts_at, capacity=10)
        db.session.add(other)
        db.session.commit()
        return other.id


def test_erasing_a_booking_of_a_cancelled_screening_cancels_it_too(app, person):
    """The last booking cancelled in a screening that promotes no one (it is cancelled) is written
    before the anonymisation runs its plain SQL."""
    with app.app_context():
        events.cancel_screening(person["full"])
        result = personal_data.erase("ana@example.org")
        assert (result.registrations, result.cancelled, result.promoted) == (2, 1, 0)
        coming = db.session.get(Registration, person["ana"][1])
        assert (coming.status, coming.cancel_reason) == ("cancelled", "organizer") and coming.cancelled_at
    assert seats_add_up(app)


@pytest.mark.slow  # a sweep of every page or a thread race: in the whole suite, not the quick one
def test_a_booking_moved_while_it_is_erased_frees_the_seats_of_its_new_screening(app, person, monkeypatch):
    """An organizer moves Ana's coming booking to another screening just as her erasure starts.
    PostgreSQL: the move commits before the erasure locks the old screening, which finds the
    booking gone from it and starts again. SQLite: the move waits for the erasure's write lock,
    then finds the booking cancelled. Either way every seat count stays right."""
    other_id = other_screening(app, person)
    cancel_in, moves = booking.cancel_in, []

    def move():
        with app.app_context():
            try:
                moves.append(guests.move(person["ana"][1], other_id))
            except Exception as error:  # SQLite: NotMovableError, the booking is cancelled by then
                moves.append(error)

    def moved_meanwhile(session, screening_id, registration_id, *args):
        if registration_id == person["ana"][1] and not moves:
            mover = threading.Thread(target=move)
            mover.start()
            mover.join(timeout=3)  # PostgreSQL: it is done; SQLite: it waits for this transaction
            moves.append(mover)
        return cancel_in(session, screening_id, registration_id, *args)

    monkeypatch.setattr(booking, "cancel_in", moved_meanwhile)
    with app.app_context():
        result = personal_data.erase("ana@example.org")
        mover = next(m for m in moves if isinstance(m, threading.Thread))
        mover.join(timeout=30)
        assert not mover.is_alive()
        coming = db.session.get(Registration, person["ana"][1])
        assert coming.status == "cancelled" and result.cancelled == 1
        if db.engine.dialect.name == "postgresql":
            assert coming.screening_id == other_id  # moved, then cancelled where it was
            assert db.session.get(Screening, other_id).seats_taken == 0
        else:
            assert coming.screening_id == person["full"]
            assert any(isinstance(m, NotMovableError) for m in moves)
    assert seats_add_up(app)


def test_an_erasure_whose_bookings_keep_moving_says_so_and_changes_nothing(app, admin, person, monkeypatch):
    """Should a booking be found moved at every try (organizers moving it again and again), the
    back office says to look again, with a 409, and nothing of the person is changed."""
    tries = []

    def always_moved(session, screening_id, registration_id, *args):
        tries.append(registration_id)
        raise booking.ScreeningChanged()

    monkeypatch.setattr(booking, "cancel_in", always_moved)
    before = dump(app)
    response = post(admin, "/admin/privacy/erase/confirm", "ana@example.org")
    assert response.status_code == 409
    assert "This registration was just moved by someone else; look again." in response.get_data(as_text=True)
    assert tries == [person["ana"][1]] * 3
    assert dump(app) == before


def test_a_door_undo_during_an_erasure_waits_for_it_instead_of_deadlocking(app, person):
    """A volunteer takes back Ana's past admission just as her erasure has rewritten her tickets
    and is about to blank the codes in the check-in log. Both take their locks in one order (the
    registration, then its ticket and check-ins): the undo waits for the erasure and then goes
    through. (Taking the check-in first, as the undo once did, deadlocked them on PostgreSQL.)"""
    with app.app_context():
        ticket_id = db.session.scalar(sa.select(Ticket.id).where(Ticket.registration_id == person["ana"][0]))
        admission = db.session.scalar(sa.select(CheckIn.id).where(CheckIn.ticket_id == ticket_id))
        engine = db.engine
    paused, go, outcomes = threading.Event(), threading.Event(), {}

    def pause_before_blanking_codes(conn, cursor, statement, *args):
        if statement.startswith("UPDATE checkins SET scanned_code") and threading.current_thread().name == "erasure":
            paused.set()
            go.wait(timeout=30)

    def run(name, work):
        with app.app_context():
            try:
                outcomes[name] = work()
            except Exception as error:  # what the test reports
                outcomes[name] = error

    sa.event.listen(engine, "before_cursor_execute", pause_before_blanking_codes)
    try:
        eraser = threading.Thread(name="erasure", target=run, args=("erase", lambda: personal_data.erase("ana@example.org")))
        eraser.start()
        assert paused.wait(timeout=30)
        undoer = threading.Thread(target=run, args=("undo", lambda: checkin.undo(admission, by_admin=True)))
        undoer.start()
        if engine.dialect.name == "postgresql":  # until the undo waits for a lock the erasure holds
            with engine.connect() as watcher:
                waiting = sa.text("SELECT count(*) FROM pg_stat_activity"
                                  " WHERE wait_event_type = 'Lock' AND datname = current_database()")
                deadline = time.monotonic() + 30
                while not watcher.execute(waiting).scalar_one() and time.monotonic() < deadline:
                    time.sleep(0.02)
                    watcher.rollback()
        else:
            time.sleep(0.3)  # SQLite: the undo waits for the erasure's write transaction
        go.set()
        eraser.join(timeout=60)
        undoer.join(timeout=60)
    finally:
        go.set()
        sa.event.remove(engine, "before_cursor_execute", pause_before_blanking_codes)
    assert not isinstance(outcomes["erase"], Exception), outcomes["erase"]
    assert not isinstance(outcomes["undo"], Exception), outcomes["undo"]
    assert outcomes["erase"].registrations == 2 and outcomes["undo"].result == "undone"
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).admitted == 0
        assert db.session.scalars(sa.select(CheckIn.scanned_code).where(CheckIn.ticket_id == ticket_id)).all() == ["", ""]
    assert "Ana Person" not in dump(app)


def test_a_cancellation_of_a_moved_booking_frees_the_new_screenings_seats(app, person):
    """cancel_in, told the booking's old screening, refuses and writes nothing; cancel reads it again."""
    other_id = other_screening(app, person)
    with app.app_context():
        guests.move(person["ana"][1], other_id)
        before = dump(app)
        with pytest.raises(booking.ScreeningChanged):
            with write_transaction() as session:
                booking.cancel_in(session, person["full"], person["ana"][1], utcnow())
        assert dump(app) == before
        booking.cancel(person["ana"][1])
        assert db.session.get(Screening, other_id).seats_taken == 0
    assert seats_add_up(app)


def test_erasure_removes_waiting_guest_list_previews_of_the_address(app, make_screening):
    screening = make_screening()
    with app.app_context():
        preview = imports.build_preview(screening, b"name,email\nAna Person,ana@example.org\nBob,bob@example.org\n")
        token = imports.save_preview(preview, screening, 1)
        other = imports.save_preview(imports.build_preview(screening, b"name,email\nBob,bob@example.org\n"), screening, 1)
        exported = personal_data.as_json(personal_data.find("ana@example.org"))["pending_guest_list_imports"]
        assert [[(row["name"], row["email"]) for row in item["rows"]] for item in exported] == [
            [("Ana Person", "ana@example.org")]]
        result = personal_data.erase("Ana@Example.org")
    assert result.files == 1 and result.registrations == 0
    assert instance_files(app, "imports") == [f"{other}.json"]
    assert token not in "".join(instance_files(app, "imports"))


@pytest.mark.parametrize("path", ["/admin/privacy", "/admin/privacy/export", "/admin/privacy/erase",
                                  "/admin/privacy/erase/confirm"])
def test_bad_addresses_get_a_clear_message(app, admin, person, path):
    before = dump(app)
    for typed, message in [("not an address", "This does not look like an e-mail address"),
                           ("", "Please enter your e-mail address."),
                           ("a\x00b@example.org", "characters that cannot be in one"),
                           ("x" * 100_000 + "@example.org", "This e-mail address is too long.")]:
        response = post(admin, path, typed)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, (typed[:20], response.status_code)
        assert message in errors(page).get("email", ""), (typed[:20], errors(page))
        assert len(page) < 20_000  # a huge address is not sent back whole
    unknown = post(admin, path, "nobody@example.org")
    assert unknown.status_code == (200 if path == "/admin/privacy" else 404)
    assert "Nothing is stored about this e-mail address." in unknown.get_data(as_text=True)
    assert post(admin, path, "x" * 600_000).status_code == 413
    expired = admin.post(path, data={"email": "ana@example.org"})
    assert expired.status_code == 422 and "This form had expired" in expired.get_data(as_text=True)
    assert dump(app) == before
