"""After the film (issue 21, item 3): an optional thank-you e-mail to those let in at the door, in
their language, with the link to vote while a vote is open to them; written once per screening by
the sender. On both databases, with a real SMTP server."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mail_support import PUBLIC_URL
from racers import race
from ticketing.extensions import db
from ticketing.models import Event, OutboxMessage, Registration, Screening, Vote, utcnow
from ticketing.services import booking, checkin, mailer, thanks

HOUR = timedelta(hours=1)


@pytest.fixture
def over(ctx, make_event, make_screening):
    """A 90-minute film that began two hours ago, at a festival that thanks its audiences; its id."""
    event_id = make_event(thank_you=True)
    return make_screening(event_id, title="Qyz Jibek", runtime_minutes=90, starts_at=utcnow() - 2 * HOUR)


def let_in(screening_id, name, seats=1, admitted=None, locale="en"):
    """A booking made the day before the screening, let in with `admitted` people (all by default)."""
    email = name.split()[0].lower() + "@example.org"
    before = db.session.get(Screening, screening_id).starts_at - 24 * HOUR
    booked = booking.book(screening_id, name, email, seats, locale=locale, now=before).registration
    registration = db.session.get(Registration, booked.id)
    if admitted != 0:
        checkin.check_in(registration.ticket.code, screening_id, seats=admitted)
    return registration


def thanked():
    return db.session.scalars(sa.select(OutboxMessage.registration_id).where(OutboxMessage.kind == "thank_you")
                              .order_by(OutboxMessage.registration_id)).all()


def test_those_let_in_are_thanked_once_in_their_language_with_the_vote(ctx, inbox, over):
    ana = let_in(over, "Ана Әлиева", seats=2, admitted=1, locale="kk")
    bo = let_in(over, "Bo Absent", admitted=0)  # booked, never came
    db.session.add(Vote(event_id=db.session.get(Screening, over).event_id, kind="rating",
                        opens_at=utcnow() - HOUR, closes_at=utcnow() + HOUR))
    db.session.commit()
    mailer.send_due()  # the tickets, long ago
    inbox.received.clear()
    assert thanks.queue_due() == 1 and thanked() == [ana.id]
    assert thanks.queue_due() == 0  # a screening is thanked once
    assert mailer.send_due().sent == 1
    [message] = inbox.received
    assert message["To"] == "ана@example.org" and message["Content-Language"] == "kk"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Qyz Jibek" in text and "рақмет" in text.lower()
    vote_id = db.session.scalar(sa.select(Vote.id))
    assert f"{PUBLIC_URL}/r/{ana.secret}/votes/{vote_id}" in text
    assert "/cancel" not in text and bo.id not in thanked()
    assert not any(part.get_content_type() == "application/pdf" for part in message.walk())


def test_no_vote_link_once_the_vote_is_closed(ctx, inbox, over):
    ana = let_in(over, "Ana Attendee")
    db.session.add(Vote(event_id=db.session.get(Screening, over).event_id, kind="rating",
                        opens_at=utcnow() - 2 * HOUR, closes_at=utcnow() - HOUR))
    db.session.commit()
    mailer.send_due()
    inbox.received.clear()
    thanks.queue_due()
    mailer.send_due()
    [message] = inbox.received
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Thank you for coming to Qyz Jibek!" in text and "/votes/" not in text
    assert message["Subject"] == "Thank you for coming: Qyz Jibek"
    assert ana.id in thanked()


def test_not_before_the_film_is_over_not_when_off_not_for_long_ago(ctx, make_event, make_screening):
    on = make_event(thank_you=True)
    off = make_event(slug="off", name="Off", thank_you=False)
    still_on = make_screening(on, runtime_minutes=150, starts_at=utcnow() - 2 * HOUR)  # 30 minutes to go
    unknown = make_screening(on, starts_at=utcnow() - 90 * timedelta(minutes=1))  # two hours assumed
    silent = make_screening(off, runtime_minutes=60, starts_at=utcnow() - 2 * HOUR)
    long_ago = make_screening(on, runtime_minutes=60, starts_at=utcnow() - 3 * 24 * HOUR)  # over 71 hours ago
    for screening_id in (still_on, unknown, silent, long_ago):
        let_in(screening_id, "Ana Attendee")
    assert thanks.queue_due() == 0
    assert thanks.queue_due(utcnow() + HOUR) == 2  # the long film and the one of unknown length are over
    assert {db.session.get(Registration, rid).screening_id for rid in thanked()} == {still_on, unknown}


def test_racing_senders_write_the_thanks_once(database_url, tmp_path, app, over):
    with app.app_context():
        people = [let_in(over, f"Person{n} Attendee").id for n in range(12)]
    outcomes = [outcome for _, outcome in race(database_url, tmp_path, [("thank", utcnow())] * 16)]
    assert sum(int(outcome.split(":")[1]) for outcome in outcomes) == 12
    with app.app_context():
        assert thanked() == sorted(people)


def test_the_event_setting_and_the_sender_command(app, admin, inbox, make_event, make_screening):
    event_id = make_event()
    form = {"csrf_token": admin.csrf, "name": "Fest", "slug": "fest", "timezone": "Europe/Brussels",
            "main_language": "en", "protection": "none", "reminder_hours": "", "thank_you": "y", "is_published": "y"}
    assert admin.post(f"/admin/events/{event_id}", data=form).status_code == 303
    screening_id = make_screening(event_id, runtime_minutes=60, starts_at=utcnow() - 2 * HOUR)
    with app.app_context():
        assert db.session.get(Event, event_id).thank_you is True
        let_in(screening_id, "Ana Attendee")
        mailer.send_due()
    inbox.received.clear()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "1 thanks written" in result.output and "1 sent" in result.output
    assert [m["Subject"] for m in inbox.received] == ["Thank you for coming: Test Film"]
    page = admin.get(f"/admin/events/{event_id}").get_data(as_text=True)
    [box] = re.findall(r'<input[^>]*name="thank_you"[^>]*>', page)
    assert " checked " in box
