"""Guests, walk-ins, the release of unclaimed seats, moves and resent tickets (services.guests)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from factories import code_of, make_registration
from ticketing.errors import (
    AlreadyCancelledError,
    AlreadyRegisteredError,
    InvalidInputError,
    NoSeatsError,
    NotFoundError,
    NotMovableError,
    ScreeningCancelledError,
)
from ticketing.extensions import db
from ticketing.models import AuditEntry, CheckIn, OutboxMessage, Registration, Screening, Ticket, utcnow
from ticketing.services import booking, checkin, guests


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def seats(sid):
    db.session.rollback()  # a fresh read
    screening = db.session.get(Screening, sid)
    return screening.seats_taken, screening.seats_held


def status_of(registration_id):
    db.session.rollback()
    registration = db.session.get(Registration, registration_id)
    return registration.status, registration.cancel_reason, registration.screening_id


def outbox(kind=None):
    query = sa.select(OutboxMessage.registration_id).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query).all()


@pytest.fixture
def due(make_screening):
    """A screening whose release time (30 minutes before the start) has come."""

    def make(**fields):
        return make_screening(starts_at=utcnow() + timedelta(minutes=10), release_minutes=30, **fields)

    return make


# Held seats and guests

def test_the_public_never_takes_held_seats(ctx, make_screening):
    sid = make_screening(capacity=5, seats_held=2)
    outcomes = [booking.book(sid, f"P{i}", f"p{i}@example.org").outcome for i in range(4)]
    assert outcomes == ["confirmed"] * 3 + ["waitlisted"]
    assert seats(sid) == (3, 2)
    assert booking.availability(db.session.get(Screening, sid)).state == "full"


def test_a_guest_takes_held_seats_first_then_free_ones(ctx, make_screening):
    sid = make_screening(capacity=10, seats_held=3)
    guests.add_guest(sid, "Press One", seats=2)
    assert seats(sid) == (2, 1)
    guests.add_guest(sid, "Press Two", seats=3)  # the last held seat and two free ones
    assert seats(sid) == (5, 0)


def test_a_guest_may_fill_the_hall_but_not_more(ctx, make_screening):
    sid = make_screening(capacity=4, seats_held=2)
    make_registration(sid, "Ana", seats=2)
    with pytest.raises(NoSeatsError):
        guests.add_guest(sid, "Too big", seats=3)
    assert (seats(sid), count(Registration)) == ((2, 2), 1)
    guests.add_guest(sid, "Fits", seats=2)
    assert seats(sid) == (4, 0)


def test_add_guests_is_all_or_none_when_they_do_not_all_fit(ctx, make_screening):
    sid = make_screening(capacity=4, seats_held=4)
    batch = [guests.clean_guest("A", seats=2), guests.clean_guest("B", seats=3)]
    with pytest.raises(NoSeatsError):
        guests.add_guests(sid, batch)
    assert (count(Registration), count(Ticket), count(AuditEntry), seats(sid)) == (0, 0, 0, (0, 4))


def test_add_guests_refuses_one_email_given_twice(ctx, make_screening):
    sid = make_screening(seats_held=5)
    batch = [guests.clean_guest("A", "guest@example.org"), guests.clean_guest("B", "Guest@Example.org")]
    with pytest.raises(AlreadyRegisteredError):
        guests.add_guests(sid, batch)
    assert (count(Registration), count(OutboxMessage), seats(sid)) == (0, 0, (0, 5))


def test_add_guests_refuses_an_email_registered_already(ctx, make_screening):
    sid = make_screening(seats_held=5)
    make_registration(sid, "Ana")
    batch = [guests.clean_guest("New", "new@example.org"), guests.clean_guest("Ana again", "ANA@example.org")]
    with pytest.raises(AlreadyRegisteredError):
        guests.add_guests(sid, batch)
    assert (count(Registration), count(OutboxMessage), seats(sid)) == (1, 1, (1, 5))


def test_a_guest_without_email_gets_no_message_one_with_email_a_confirmation(ctx, make_screening):
    sid = make_screening()
    quiet, told = guests.add_guests(sid, [guests.clean_guest("No Mail"), guests.clean_guest("Mail", "m@example.org", 2)])
    assert db.session.execute(sa.select(OutboxMessage.registration_id, OutboxMessage.kind)).all() == [(told.id, "confirmation")]
    rows = db.session.execute(sa.select(Registration.source, Registration.status, Registration.email_normalized)
                              .order_by(Registration.id)).all()
    assert rows == [("guest", "confirmed", None), ("guest", "confirmed", "m@example.org")]
    assert quiet.id != told.id


def test_guests_without_email_do_not_collide(ctx, make_screening):
    sid = make_screening()
    guests.add_guest(sid, "One")
    guests.add_guest(sid, "Two")
    assert count(Registration, Registration.email_normalized.is_(None)) == 2


def test_adding_guests_is_audited(ctx, make_screening):
    sid = make_screening()
    guests.add_guests(sid, [guests.clean_guest("A", seats=2), guests.clean_guest("B")])
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.subject_id, entry.details) == ("guests.add", sid, {"count": 2, "seats": 3})


@pytest.mark.parametrize("fields, bad", [
    (dict(name=""), "name"),
    (dict(name="A\x00B"), "name"),
    (dict(name="x" * 201), "name"),
    (dict(name="Ana", email="not an address"), "email"),
    (dict(name="Ana", seats=0), "seats"),
    (dict(name="Ana", seats="101"), "seats"),
    (dict(name="Ana", seats="2.5"), "seats"),
    (dict(name="Ana", seats=True), "seats"),
    (dict(name="Ana", note="x" * 501), "note"),
    (dict(name="Ana", note="hidden\u202e"), "note"),
])
def test_add_guest_refuses_bad_fields_and_writes_nothing(ctx, make_screening, fields, bad):
    sid = make_screening()
    with pytest.raises(InvalidInputError) as error:
        guests.add_guest(sid, **fields)
    assert list(error.value.fields) == [bad]
    assert count(Registration) == 0


def test_a_note_typed_on_several_lines_is_kept_on_one(ctx, make_screening):
    guest = guests.clean_guest("Ana", note="Press,\r\n  table 4\t")
    assert guest.note == "Press, table 4"


def test_guests_for_a_cancelled_or_unknown_screening_are_refused(ctx, make_screening):
    sid = make_screening(is_cancelled=True)
    with pytest.raises(ScreeningCancelledError):
        guests.add_guest(sid, "Ana")
    with pytest.raises(NotFoundError):
        guests.add_guest(999, "Ana")
    assert count(Registration) == 0


# Walk-ins

def test_a_walkin_is_admitted_at_once(ctx, make_screening):
    sid = make_screening()
    registration = guests.add_walkin(sid, "", seats=3, now=utcnow())
    ticket = db.session.scalars(sa.select(Ticket)).one()
    assert (ticket.seats, ticket.admitted, registration.name, registration.source) == (3, 3, "Walk-in", "walkin")
    log = db.session.execute(sa.select(CheckIn.ticket_id, CheckIn.result, CheckIn.reason, CheckIn.seats)).all()
    assert log == [(ticket.id, "admitted", "walkin", 3)]
    assert (seats(sid), count(OutboxMessage)) == ((3, 0), 0)


def test_a_walkin_does_not_take_held_seats(ctx, make_screening):
    sid = make_screening(capacity=3, seats_held=2)
    guests.add_walkin(sid)
    with pytest.raises(NoSeatsError):
        guests.add_walkin(sid)
    assert (count(Registration), count(CheckIn), seats(sid)) == (1, 1, (1, 2))


def test_a_walkin_when_full_is_refused_and_nothing_written(ctx, make_screening):
    sid = make_screening(capacity=2)
    make_registration(sid, "Ana", seats=2)
    with pytest.raises(NoSeatsError):
        guests.add_walkin(sid, "Bob")
    assert (count(Registration), count(Ticket), count(CheckIn), seats(sid)) == (1, 1, 0, (2, 0))


def test_a_walkin_at_a_cancelled_screening_is_refused(ctx, make_screening):
    sid = make_screening(is_cancelled=True)
    with pytest.raises(ScreeningCancelledError):
        guests.add_walkin(sid)
    assert count(Registration) == 0


@pytest.mark.parametrize("name, n, bad", [("A\x00", 1, "name"), (5, 1, "name"), (["A"], 1, "name"), ("Ana", 0, "seats"),
                                          ("Ana", "lots", "seats"), ("Ana", 101, "seats"), ("Ana", 1.0, "seats")])
def test_a_walkin_with_bad_fields_is_refused(ctx, make_screening, name, n, bad):
    sid = make_screening()
    with pytest.raises(InvalidInputError) as error:
        guests.add_walkin(sid, name, n)
    assert list(error.value.fields) == [bad]
    assert count(Registration) == 0


def test_add_guests_of_nobody_writes_nothing(ctx, make_screening):
    assert guests.add_guests(make_screening(), []) == []
    assert (count(Registration), count(AuditEntry)) == (0, 0)


# Release of unclaimed seats

def test_release_before_its_time_does_nothing(ctx, make_screening):
    sid = make_screening(starts_at=utcnow() + timedelta(minutes=40), release_minutes=30, seats_held=2)
    make_registration(sid, "Ana")
    assert guests.release_due(sid) == 0
    assert (seats(sid), count(AuditEntry), db.session.get(Screening, sid).released_at) == ((1, 2), 0, None)


def test_release_without_release_minutes_never_happens(ctx, make_screening):
    sid = make_screening(starts_at=utcnow() + timedelta(minutes=1))
    make_registration(sid, "Ana")
    assert guests.release_due(sid) == 0
    assert status_of(1)[0] == "confirmed"


def test_release_cancels_only_unclaimed_public_registrations(ctx, due):
    sid = due(capacity=20)
    unclaimed = make_registration(sid, "Ana", seats=2)
    partly_in = make_registration(sid, "Family", seats=3)
    checkin.check_in(code_of(partly_in), sid, seats=1)
    guest = guests.add_guest(sid, "Press", "press@example.org").id
    walkin = guests.add_walkin(sid, "Door").id
    assert guests.release_due(sid) == 2
    assert status_of(unclaimed) == ("cancelled", "released", sid)
    assert [status_of(r)[0] for r in (partly_in, guest, walkin)] == ["confirmed"] * 3
    assert seats(sid) == (5, 0)


def test_release_returns_held_seats_and_promotes_the_waiting_list_in_order(ctx, due):
    sid = due(capacity=6, seats_held=2, max_seats=3)
    make_registration(sid, "Ana", seats=3)
    checkin.check_in(code_of(make_registration(sid, "Bob", seats=1)), sid)
    first, second, third = make_registration(sid, "Wa", seats=3), make_registration(sid, "Wb", seats=1), make_registration(sid, "Wc", seats=2)
    assert guests.release_due(sid) == 5  # Ana's 3 and the 2 held
    # 5 seats free: Wa (3) and Wb (1) in their order; Wc (2) does not fit the last one.
    assert [status_of(r)[0] for r in (first, second, third)] == ["confirmed", "confirmed", "waitlisted"]
    assert outbox("promoted") == [first, second]
    assert seats(sid) == (5, 0)


def test_release_tells_the_released_and_is_audited(ctx, due):
    sid = due(seats_held=1)
    released = [make_registration(sid, "Ana"), make_registration(sid, "Bob", seats=2)]
    guests.release_due(sid)
    assert outbox("released") == released
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.user_id, entry.subject_id) == ("screening.release", None, sid)
    assert entry.details == {"registrations": 2, "seats": 3, "held_seats": 1, "promoted": 0}


def test_release_runs_once(ctx, due):
    sid = due(seats_held=1)
    make_registration(sid, "Ana")
    assert [guests.release_due(sid), guests.release_due(sid)] == [2, 0]
    assert (count(AuditEntry), count(OutboxMessage, OutboxMessage.kind == "released")) == (1, 1)


def test_release_leaves_a_cancelled_screening_alone(ctx, due):
    sid = due()
    make_registration(sid, "Ana")
    db.session.get(Screening, sid).is_cancelled = True
    db.session.commit()
    assert guests.release_due(sid) == 0
    assert (count(AuditEntry), status_of(1)[0]) == (0, "confirmed")


def test_a_released_ticket_at_the_door_is_not_valid(ctx, due):
    sid = due()
    code = code_of(make_registration(sid, "Ana"))
    guests.release_due(sid)
    verdict = checkin.check_in(code, sid)
    assert (verdict.result, verdict.reason, verdict.admitted_now) == ("not_valid", "released", 0)
    assert checkin.MESSAGES[("not_valid", "released")]


def test_walkins_take_released_seats(ctx, due):
    sid = due(capacity=2, seats_held=1)
    make_registration(sid, "Ana")
    with pytest.raises(NoSeatsError):
        guests.add_walkin(sid)
    guests.release_due(sid)
    guests.add_walkin(sid, seats=2)
    assert seats(sid) == (2, 0)


# Moves

def test_move_a_confirmed_registration(ctx, make_screening):
    old, new = make_screening(), make_screening(title="Later")
    reg = make_registration(old, "Ana", seats=2)
    code = code_of(reg)
    guests.move(reg, new, user_id=None)
    assert (status_of(reg), seats(old), seats(new), code_of(reg)) == (("confirmed", "", new), (0, 0), (2, 0), code)
    assert checkin.check_in(code, old).reason == "other_screening"
    assert checkin.check_in(code, new).result == "admitted"
    assert outbox("moved") == [reg]
    assert db.session.scalar(sa.select(AuditEntry.details)) == {"from_screening": old, "to_screening": new, "promoted": 0}


def test_move_a_waiting_registration_confirms_it(ctx, make_screening):
    old, new = make_screening(capacity=1), make_screening(title="Later")
    make_registration(old, "Ana")
    waiting = make_registration(old, "Bob")
    guests.move(waiting, new)
    assert (status_of(waiting), seats(old), seats(new)) == (("confirmed", "", new), (1, 0), (1, 0))


def test_move_to_a_full_screening_changes_nothing(ctx, make_screening):
    old, new = make_screening(), make_screening(capacity=3, seats_held=1)
    make_registration(new, "Full", seats=2)
    reg = make_registration(old, "Ana")
    with pytest.raises(NoSeatsError):
        guests.move(reg, new)  # the free-looking seat is held for guests
    assert (status_of(reg), seats(old), seats(new), count(AuditEntry)) == (("confirmed", "", old), (1, 0), (2, 1), 0)


def test_a_guest_moves_onto_held_seats(ctx, make_screening):
    old, new = make_screening(), make_screening(capacity=3, seats_held=1)
    make_registration(new, "Full", seats=2)
    guest = guests.add_guest(old, "Press").id
    guests.move(guest, new)
    assert (seats(old), seats(new)) == ((0, 0), (3, 0))


def test_move_to_another_event_is_refused(ctx, make_screening, make_event):
    old = make_screening()
    other = make_screening(event_id=make_event(slug="other", name="Other Festival"))
    reg = make_registration(old, "Ana")
    with pytest.raises(NotMovableError):
        guests.move(reg, other)
    assert (status_of(reg), seats(other)) == (("confirmed", "", old), (0, 0))


def test_move_after_check_in_is_refused(ctx, make_screening):
    old, new = make_screening(), make_screening()
    reg = make_registration(old, "Family", seats=2)
    checkin.check_in(code_of(reg), old, seats=1)
    with pytest.raises(NotMovableError):
        guests.move(reg, new)
    assert (status_of(reg)[2], seats(new)) == (old, (0, 0))


def test_move_of_a_cancelled_registration_or_to_the_same_screening_is_refused(ctx, make_screening):
    old, new = make_screening(), make_screening()
    reg = make_registration(old, "Ana")
    with pytest.raises(NotMovableError):
        guests.move(reg, old)
    booking.cancel(reg)
    with pytest.raises(NotMovableError):
        guests.move(reg, new)
    with pytest.raises(NotFoundError):
        guests.move(999, new)
    assert seats(new) == (0, 0)


def test_move_to_a_cancelled_screening_is_refused(ctx, make_screening):
    old, new = make_screening(), make_screening(is_cancelled=True)
    reg = make_registration(old, "Ana")
    with pytest.raises(ScreeningCancelledError):
        guests.move(reg, new)
    assert status_of(reg)[2] == old


def test_move_to_a_screening_where_the_email_is_registered_is_refused(ctx, make_screening):
    old, new = make_screening(), make_screening()
    reg = make_registration(old, "Ana")
    make_registration(new, "Ana")  # the same e-mail address
    with pytest.raises(AlreadyRegisteredError):
        guests.move(reg, new)
    assert (status_of(reg)[2], seats(old), seats(new), count(OutboxMessage, OutboxMessage.kind == "moved")) == (old, (1, 0), (1, 0), 0)


def test_move_gives_the_freed_seats_to_the_old_waiting_list(ctx, make_screening):
    old, new = make_screening(capacity=2, max_seats=2), make_screening()
    reg = make_registration(old, "Ana", seats=2)
    waiting = make_registration(old, "Bob", seats=2)
    guests.move(reg, new)
    assert (status_of(waiting)[0], seats(old), outbox("promoted")) == ("confirmed", (2, 0), [waiting])


# Resending a ticket

def test_resend_ticket_queues_the_ticket_again(ctx, make_screening):
    sid = make_screening(capacity=1)
    reg, waiting = make_registration(sid, "Ana"), make_registration(sid, "Bob")
    guests.resend_ticket(reg)
    guests.resend_ticket(waiting)
    kinds = db.session.execute(sa.select(OutboxMessage.registration_id, OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert kinds[2:] == [(reg, "confirmation"), (waiting, "waitlisted")]
    assert count(AuditEntry, AuditEntry.action == "registration.resend") == 2


def test_resend_ticket_refuses_a_cancelled_registration_or_one_without_email(ctx, make_screening):
    sid = make_screening()
    reg = make_registration(sid, "Ana")
    booking.cancel(reg)
    with pytest.raises(AlreadyCancelledError):
        guests.resend_ticket(reg)
    with pytest.raises(InvalidInputError):
        guests.resend_ticket(guests.add_guest(sid, "No Mail").id)
    with pytest.raises(NotFoundError):
        guests.resend_ticket(999)
    assert count(OutboxMessage, OutboxMessage.kind == "confirmation") == 1  # Ana's first ticket only


def test_no_one_is_promoted_at_a_cancelled_screening_when_someone_moves_away(ctx, make_screening):
    old, new = make_screening(capacity=1), make_screening(title="Later")
    reg, waiting = make_registration(old, "Ana"), make_registration(old, "Bob")
    db.session.execute(sa.update(Screening).where(Screening.id == old).values(is_cancelled=True))
    db.session.commit()
    guests.move(reg, new)
    assert status_of(waiting)[0] == "waitlisted" and outbox("promoted") == []


def test_no_one_is_promoted_at_a_cancelled_screening_when_someone_cancels(ctx, make_screening):
    old = make_screening(capacity=1)
    reg, waiting = make_registration(old, "Ana"), make_registration(old, "Bob")
    db.session.execute(sa.update(Screening).where(Screening.id == old).values(is_cancelled=True))
    db.session.commit()
    booking.cancel(reg)
    assert status_of(waiting)[0] == "waitlisted" and outbox("promoted") == []
