"""The booking domain on its own: R1, R6, R7, registration windows, outbox."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ticketing.errors import (
    AlreadyCancelledError,
    InvalidInputError,
    NotFoundError,
    RegistrationClosedError,
    RegistrationNotOpenError,
    ScreeningCancelledError,
    ScreeningStartedError,
    TicketUsedError,
)
from ticketing.extensions import db
from ticketing.models import OutboxMessage, Registration, Screening, Ticket, utcnow
from ticketing.services import booking


def outbox_kinds(registration_id=None):
    query = sa.select(OutboxMessage.kind).order_by(OutboxMessage.id)
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    return db.session.scalars(query).all()


def test_book_confirms_while_seats_last_then_waitlists(ctx, make_screening):
    sid = make_screening(capacity=3)
    first = booking.book(sid, "Ana", "ana@example.org", 2)
    second = booking.book(sid, "Bo", "bo@example.org", 2)
    third = booking.book(sid, "Cy", "cy@example.org", 1)
    assert [first.outcome, second.outcome, third.outcome] == ["confirmed", "waitlisted", "confirmed"]
    assert db.session.get(Screening, sid).seats_taken == 3
    assert outbox_kinds() == ["confirmation", "waitlisted", "confirmation"]


def test_every_registration_has_one_ticket_with_its_seats(ctx, make_screening):
    sid = make_screening(capacity=5)
    result = booking.book(sid, "Ana", "ana@example.org", 3)
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.registration_id == result.registration.id))
    assert ticket.seats == 3 and ticket.admitted == 0 and len(ticket.code) == 26
    assert ticket.status == "valid"


def test_capacity_zero_waitlists_everyone(ctx, make_screening):
    sid = make_screening(capacity=0)
    assert booking.book(sid, "Ana", "ana@example.org", 1).outcome == "waitlisted"


def test_repeat_signup_books_nothing_and_resends(ctx, make_screening):
    sid = make_screening(capacity=5)
    first = booking.book(sid, "Ana", "Ana.Smith@Example.org", 1)
    again = booking.book(sid, "Someone Else", "  ana.smith@example.ORG ", 3)
    assert again.outcome == "repeat"
    assert again.registration.id == first.registration.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
    assert db.session.get(Screening, sid).seats_taken == 1
    assert outbox_kinds(first.registration.id) == ["confirmation", "repeat_signup"]


def test_repeat_signups_resend_at_most_every_five_minutes(ctx, make_screening):
    sid = make_screening()
    first = booking.book(sid, "Ana", "ana@example.org", 1).registration.id
    now = utcnow()
    for minutes in (0, 1, 4, 6, 7, 12):
        assert booking.book(sid, "Ana", "ana@example.org", 1, now=now + timedelta(minutes=minutes)).outcome == "repeat"
    assert outbox_kinds(first) == ["confirmation"] + ["repeat_signup"] * 3  # at 0, 6 and 12


def test_email_is_kept_as_typed_and_compared_normalised(ctx, make_screening):
    sid = make_screening()
    result = booking.book(sid, "Ana", " Ana.Smith@Example.ORG ", 1)
    assert result.registration.email == "Ana.Smith@Example.ORG"
    assert result.registration.email_normalized == "ana.smith@example.org"


def test_same_form_submitted_twice_books_once(ctx, make_screening):
    sid = make_screening()
    first = booking.book(sid, "Ana", "ana@example.org", 2, form_key="k" * 24)
    second = booking.book(sid, "Ana", "ana@example.org", 2, form_key="k" * 24)
    assert second.outcome == "resubmitted"
    assert second.registration.id == first.registration.id
    assert db.session.get(Screening, sid).seats_taken == 2
    assert outbox_kinds() == ["confirmation"]


def test_form_key_reused_for_another_person_still_books(ctx, make_screening):
    sid = make_screening()
    booking.book(sid, "Ana", "ana@example.org", 1, form_key="k" * 24)
    other = booking.book(sid, "Bo", "bo@example.org", 1, form_key="k" * 24)
    assert other.outcome == "confirmed"
    assert other.registration.form_key is None


def test_signup_after_cancel_is_allowed(ctx, make_screening):
    sid = make_screening()
    first = booking.book(sid, "Ana", "ana@example.org", 1)
    booking.cancel(first.registration.id)
    again = booking.book(sid, "Ana", "ana@example.org", 1)
    assert again.outcome == "confirmed" and again.registration.id != first.registration.id


def test_invalid_fields_raise_with_a_message_each_and_write_nothing(ctx, make_screening):
    sid = make_screening(max_seats=2)
    with pytest.raises(InvalidInputError) as raised:
        booking.book(sid, "", "not-an-email", 3)
    assert set(raised.value.fields) == {"name", "email", "seats"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
    assert db.session.get(Screening, sid).seats_taken == 0


def test_unknown_screening(ctx):
    with pytest.raises(NotFoundError):
        booking.book(999, "Ana", "ana@example.org", 1)


def test_registration_window(ctx, make_screening):
    now = utcnow()
    not_yet = make_screening(registration_opens_at=now + timedelta(hours=1))
    closed = make_screening(registration_closes_at=now - timedelta(minutes=1))
    started = make_screening(starts_at=now - timedelta(minutes=5))
    cancelled = make_screening(is_cancelled=True)
    with pytest.raises(RegistrationNotOpenError):
        booking.book(not_yet, "Ana", "ana@example.org", 1)
    with pytest.raises(RegistrationClosedError):
        booking.book(closed, "Ana", "ana@example.org", 1)
    with pytest.raises(RegistrationClosedError):
        booking.book(started, "Ana", "ana@example.org", 1)
    with pytest.raises(ScreeningCancelledError):
        booking.book(cancelled, "Ana", "ana@example.org", 1)
    assert booking.book(not_yet, "Ana", "ana@example.org", 1, now=now + timedelta(hours=2)).outcome == "confirmed"


def test_availability_states(ctx, make_screening):
    big_id, small_id = make_screening(capacity=100), make_screening(capacity=20)
    big, small = db.session.get(Screening, big_id), db.session.get(Screening, small_id)
    assert booking.availability(big).state == "open"
    big.seats_taken = 91
    assert booking.availability(big) == booking.Availability("few", 9, None)
    big.seats_taken = 100
    assert booking.availability(big).state == "full"
    small.seats_taken = 15
    assert booking.availability(small).state == "few"  # five left: few, even in a small hall
    db.session.rollback()


def test_cancel_frees_seats_and_promotes_first_that_fits(ctx, make_screening):
    sid = make_screening(capacity=2)
    holder = booking.book(sid, "Holder", "holder@example.org", 2).registration.id
    big = booking.book(sid, "Big", "big@example.org", 3).registration.id  # cannot ever fit
    first = booking.book(sid, "First", "first@example.org", 1).registration.id
    second = booking.book(sid, "Second", "second@example.org", 1).registration.id
    third = booking.book(sid, "Third", "third@example.org", 1).registration.id
    result = booking.cancel(holder)
    assert [r.id for r in result.promoted] == [first, second]
    statuses = dict(db.session.execute(sa.select(Registration.id, Registration.status)).all())
    assert statuses == {holder: "cancelled", big: "waitlisted", first: "confirmed", second: "confirmed", third: "waitlisted"}
    assert db.session.get(Screening, sid).seats_taken == 2
    assert outbox_kinds(first)[-1] == "promoted"
    assert outbox_kinds(holder)[-1] == "cancelled"


def test_waitlist_positions_follow_arrival(ctx, make_screening):
    sid = make_screening(capacity=0)
    regs = [booking.book(sid, f"P{i}", f"p{i}@example.org", 1).registration for i in range(3)]
    assert [booking.waitlist_position(r) for r in regs] == [1, 2, 3]
    booking.cancel(regs[0].id)
    assert booking.waitlist_position(db.session.get(Registration, regs[2].id)) == 2


def test_cancelling_a_waitlisted_registration_releases_nothing(ctx, make_screening):
    sid = make_screening(capacity=1)
    booking.book(sid, "Ana", "ana@example.org", 1)
    waiting = booking.book(sid, "Bo", "bo@example.org", 1).registration.id
    result = booking.cancel(waiting)
    assert result.promoted == [] and db.session.get(Screening, sid).seats_taken == 1


def test_cancel_twice_and_refusals(ctx, make_screening):
    sid = make_screening()
    reg_id = booking.book(sid, "Ana", "ana@example.org", 1).registration.id
    booking.cancel(reg_id)
    with pytest.raises(AlreadyCancelledError):
        booking.cancel(reg_id)
    used = booking.book(sid, "Bo", "bo@example.org", 2).registration
    db.session.execute(sa.update(Ticket).where(Ticket.registration_id == used.id).values(admitted=1))
    db.session.commit()
    with pytest.raises(TicketUsedError):
        booking.cancel(used.id)
    late = booking.book(sid, "Cy", "cy@example.org", 1).registration.id
    with pytest.raises(ScreeningStartedError):
        booking.cancel(late, now=utcnow() + timedelta(days=11))
    with pytest.raises(NotFoundError):
        booking.cancel(12345)


def test_find_by_secret(ctx, make_screening):
    reg = booking.book(make_screening(), "Ana", "ana@example.org", 1).registration
    assert booking.find_by_secret(reg.secret).id == reg.id
    one_off = reg.secret[:-1] + ("A" if reg.secret[-1] != "A" else "B")
    for wrong in ("", "x" * 10, one_off, "' OR 1=1 --", "x" * 1000, None):
        with pytest.raises(NotFoundError):
            booking.find_by_secret(wrong)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE screenings SET seats_taken = capacity + 1",
        "UPDATE screenings SET capacity = -1, seats_taken = 0",
        "UPDATE registrations SET seats = 0",
        "UPDATE registrations SET status = 'maybe'",
        "UPDATE tickets SET admitted = seats + 1",
    ],
)
def test_schema_constraints_refuse_broken_rows(ctx, make_screening, statement):
    booking.book(make_screening(capacity=5), "Ana", "ana@example.org", 2)
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text(statement))
        db.session.flush()
    db.session.rollback()


def test_schema_allows_one_active_registration_per_email(ctx, make_screening):
    sid = make_screening()
    first = booking.book(sid, "Ana", "ana@example.org", 1).registration
    twin = Registration(
        screening_id=sid, name="Ana", email="ana@example.org", email_normalized="ana@example.org",
        seats=1, status="waitlisted", secret="s" * 32,
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    booking.cancel(first.id)
    db.session.add(Registration(
        screening_id=sid, name="Ana", email="ana@example.org", email_normalized="ana@example.org",
        seats=1, status="waitlisted", secret="t" * 32,
    ))
    db.session.commit()  # a cancelled one does not count
