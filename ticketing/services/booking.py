"""Booking, cancelling and the waiting list: rules R1, R3, R6 and R7 in one place.

Seats are taken by a conditional UPDATE that can only succeed while seats remain, and the CHECK
constraint seats_taken <= capacity stands behind it (R1). Writes run in one short transaction
each (see database.write_transaction: on SQLite it takes the write lock at BEGIN). A
cancellation locks the screening's row before it frees seats and promotes from the waiting
list, and a sign-up that finds the hall full takes the same lock before it joins the list, so
that no freed seat is left empty while a waiting registration fits (R7). One active
registration per e-mail is a partial unique index: a racing twin fails on it and is retried,
then answered as a repeat (R6).
"""
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..errors import (
    AlreadyCancelledError,
    InvalidInputError,
    NotFoundError,
    RegistrationChangedError,
    RegistrationClosedError,
    RegistrationNotOpenError,
    ScreeningCancelledError,
    ScreeningStartedError,
    TicketUsedError,
)
from ..extensions import db
from ..models import Event, OutboxMessage, Question, Registration, RegistrationStatus, Screening, Ticket, utcnow
from . import audit, holds, questions, tickets
from .inputs import clean_email, clean_signup
from .notifications import notify
from .seats import LOCK_SCREENING, lock_screening, promote_waitlist, release_seats, take_seats

CONFIRMED = RegistrationStatus.CONFIRMED.value
WAITLISTED = RegistrationStatus.WAITLISTED.value
CANCELLED = RegistrationStatus.CANCELLED.value
_RACE_RETRIES = 3
RESEND_INTERVAL = timedelta(minutes=5)  # a repeat sign-up re-sends the ticket at most this often
FEW_SEATS_MIN = 5  # "few seats left" from here, or from a tenth of the hall if more


@dataclass(frozen=True)
class Booked:
    """A registration as book() wrote or found it (a plain snapshot, not a database object)."""

    id: int
    screening_id: int
    name: str
    name_normalized: str
    email: str
    email_normalized: str
    seats: int
    locale: str
    status: str
    secret: str
    form_key: str | None
    created_at: object
    cancelled_at: object
    source: str = "public"
    note: str = ""
    created_by_id: int | None = None
    cancel_reason: str = ""
    hold_until: object = None

    @property
    def is_held(self):
        """Whether it waits for its e-mail address to be confirmed (services/holds.py)."""
        return self.hold_until is not None and self.status != CANCELLED


@dataclass
class BookingResult:
    """What book() did: `outcome` is confirmed, waitlisted, repeat or resubmitted."""

    registration: Booked
    outcome: str


@dataclass
class CancelResult:
    """What cancel() did, and whom the freed seats went to."""

    registration: Registration
    promoted: list = field(default_factory=list)


def registration_state(screening, now=None):
    """Return open, not_open, closed or cancelled for sign-up to `screening` at `now` (R8).

    `screening` is a Screening or a row with its window's columns.
    """
    now = now or utcnow()
    if screening.is_cancelled:
        return "cancelled"
    if screening.registration_opens_at and now < screening.registration_opens_at:
        return "not_open"
    if now >= (screening.registration_closes_at or screening.starts_at):
        return "closed"
    return "open"


@dataclass
class Availability:
    """What the public pages say about a screening: `state` and the seats left."""

    state: str  # open, few, full, not_open, closed or cancelled
    seats_left: int
    opens_at: object = None


def availability(screening, now=None):
    """Return the screening's sign-up state as shown on the event page."""
    state = registration_state(screening, now)
    seats_left = screening.seats_left
    if state == "open":
        if seats_left == 0:
            state = "full"
        elif seats_left <= max(FEW_SEATS_MIN, screening.capacity // 10):
            state = "few"
    return Availability(state, seats_left, screening.registration_opens_at)


def _check_open(screening, now):
    state = registration_state(screening, now)
    if state == "cancelled":
        raise ScreeningCancelledError()
    if state == "not_open":
        raise RegistrationNotOpenError()
    if state == "closed":
        raise RegistrationClosedError()


# The sign-up path runs on prepared Core statements: it is the hot path of a rush, and the ORM's
# unit of work cost several times the database's own work here (bench/signup_rush.py).
_S, _R = Screening.__table__.c, Registration.__table__.c
# One read answers every question a sign-up asks before it writes: the screening's rules, an
# active registration of the same e-mail (R6), and whether the form's key was used already.
_BOOKING_CHECKS = sa.select(
    _S.id, _S.capacity, _S.max_seats, _S.is_cancelled, _S.is_published,
    _S.registration_opens_at, _S.registration_closes_at, _S.starts_at,
    sa.select(_R.id)
    .where(
        _R.screening_id == _S.id,
        _R.email_normalized == sa.bindparam("email_normalized"),
        _R.status != CANCELLED,
    )
    .scalar_subquery()
    .label("existing_id"),
    sa.exists().where(_R.form_key == sa.bindparam("form_key")).label("form_key_taken"),
    # An unpublished event hides its screenings from sign-up too.
    sa.select(Event.__table__.c.is_published)
    .where(Event.__table__.c.id == _S.event_id)
    .scalar_subquery()
    .label("event_published"),
    # Whether a booking must confirm its address (holds.py), and whether a hold ran out.
    sa.select(Event.__table__.c.protection)
    .where(Event.__table__.c.id == _S.event_id)
    .scalar_subquery()
    .label("protection"),
    sa.exists().where(_R.screening_id == _S.id, holds.RAN_OUT).label("hold_expired"),
    # Whether the organizers ask questions of their own (questions.py): read only when they do.
    sa.exists().where(
        Question.event_id == _S.event_id, Question.removed_at.is_(None),
        sa.or_(Question.screening_id.is_(None), Question.screening_id == _S.id),
    ).label("has_questions"),
).where(_S.id == sa.bindparam("screening_id"))
_REGISTRATION = sa.select(Registration.__table__).where(_R.id == sa.bindparam("id"))
_INSERT_REGISTRATION = sa.insert(Registration.__table__).returning(_R.id)
_INSERT_TICKET = sa.insert(Ticket.__table__)
_LOCK_REGISTRATION = sa.select(_R.id).where(_R.id == sa.bindparam("registration_id")).with_for_update()
# The last message a repeat sign-up sent: a held booking's first link is the booking's own, and
# does not count (the page tells the person to register again to get it again).
_LAST_RESEND = sa.select(sa.func.max(OutboxMessage.created_at)).where(
    OutboxMessage.registration_id == sa.bindparam("registration_id"),
    OutboxMessage.kind.in_(("repeat_signup", "confirm_email")),
    OutboxMessage.id > sa.select(sa.func.min(OutboxMessage.id)).where(
        OutboxMessage.registration_id == sa.bindparam("registration_id")).scalar_subquery(),
)


def book(screening_id, name, email, seats=1, locale="en", form_key=None, now=None, hold=True, answers=None):
    """Register a person for a screening: confirmed while seats last, else waitlisted.

    At an event that asks for e-mail confirmation the registration is held until the link in
    its e-mail is followed (holds.py): its e-mail is that link, and no ticket yet; `hold=False`
    books at once all the same (staff and door devices through the API). `answers` answer the
    organizers' own questions ({"q<id>": value}, questions.py), checked with the fields. A repeat
    sign-up (same e-mail, an active registration exists) books nothing and records the
    ticket e-mail again (R6). The same form submitted twice returns the first registration.
    Returns a BookingResult whose registration is a Booked snapshot.
    Raises InvalidInputError, NotFoundError, ScreeningCancelledError,
    RegistrationNotOpenError, RegistrationClosedError.
    """
    for attempt in range(_RACE_RETRIES):
        try:
            return _book_once(screening_id, name, email, seats, locale, form_key, now, hold, answers)
        except IntegrityError:
            # A racing twin (the same e-mail, or the same form) committed between our checks
            # and our insert, or two new codes collided; the retry sees what it committed.
            if attempt == _RACE_RETRIES - 1:
                raise


def _book_once(screening_id, name, email, seats, locale, form_key, now, hold, answers):
    now = now or utcnow()
    # Checks first, in a plain read: bad input and repeat sign-ups never wait for the write
    # lock. Whatever a racing twin does in between is caught by the unique indexes (R6).
    try:
        email_normalized = clean_email(email)[1]
    except ValueError:
        email_normalized = ""  # clean_signup below says what is wrong with it
    connection = db.session.connection()
    screening = connection.execute(
        _BOOKING_CHECKS,
        {"screening_id": screening_id, "email_normalized": email_normalized, "form_key": form_key or "",
         "now": now},
    ).one_or_none()
    if screening is None or not screening.is_published or not screening.event_published:
        raise NotFoundError()
    asked = questions.asked(screening.id) if screening.has_questions else []
    name, email, email_normalized, seats, answered = _clean(name, email, seats, screening.max_seats, asked, answers)
    _check_open(screening, now)
    if screening.hold_expired:
        # Seats held by bookings nobody confirmed go back first, to this sign-up if it comes next.
        holds.expire_due(now, screening.id)
        return _book_once(screening_id, name, email, seats, locale, form_key, now, hold, answers)
    if screening.existing_id is not None:
        existing = Booked(**connection.execute(_REGISTRATION, {"id": screening.existing_id}).one()._mapping)
        if form_key and existing.form_key == form_key:
            db.session.rollback()
            return BookingResult(existing, "resubmitted")
        with write_transaction() as session:
            _resend_ticket(session, existing, now)
        return BookingResult(existing, "repeat")
    if screening.form_key_taken:
        form_key = None  # a form reused for another person: book, without the key

    # The write: as short as possible, since it holds the screening's lock.
    with write_transaction() as session:
        connection = session.connection()
        confirmed = take_seats(connection, screening.id, seats)
        if not confirmed:
            # Full: lock the row and look again, so that a seat freed by a cancellation that
            # committed meanwhile is not missed, and a later one sees this waiting registration.
            connection.execute(LOCK_SCREENING, {"screening_id": screening.id})
            confirmed = take_seats(connection, screening.id, seats)
        status = CONFIRMED if confirmed else WAITLISTED
        held = hold and screening.protection == holds.EMAIL
        values = dict(
            screening_id=screening.id,
            name=name,
            name_normalized=name.casefold(),
            email=email,
            email_normalized=email_normalized,
            seats=seats,
            locale=locale,
            status=status,
            secret=tickets.new_secret(),
            form_key=form_key,
            created_at=now,
            cancelled_at=None,
            source="public",
            note="",
            created_by_id=None,
            cancel_reason="",
            hold_until=now + holds.hold_for() if held else None,
        )
        registration = Booked(id=connection.scalar(_INSERT_REGISTRATION, values), **values)
        questions.write_answers(connection, registration.id, answered, asked)
        connection.execute(
            _INSERT_TICKET,
            {"registration_id": registration.id, "code": tickets.new_code(), "seats": seats,
             "admitted": 0, "created_at": now},
        )
        notify(session, registration, "confirm_email" if held else "confirmation" if confirmed else "waitlisted")
        return BookingResult(registration, status)


def _clean(name, email, seats, max_seats, asked, answers):
    """The sign-up's fields and its answers, checked together: every message at once (R9)."""
    errors, cleaned, answered = {}, None, {}
    try:
        cleaned = clean_signup(name, email, seats, max_seats)
    except InvalidInputError as failure:
        errors.update(failure.fields)
    try:
        answered = questions.clean_answers(asked, answers)
    except InvalidInputError as failure:
        errors.update(failure.fields)
    if errors:
        raise InvalidInputError(errors)
    return (*cleaned, answered)


def _resend_ticket(session, registration, now):
    """Queue the ticket again for a repeat sign-up, at most once per RESEND_INTERVAL (R6); a held
    booking's confirmation link instead (holds.py).

    The limit keeps a scripted form from flooding someone's inbox; the registration's row is
    locked so that racing repeats count as one.
    """
    connection = session.connection()
    connection.execute(_LOCK_REGISTRATION, {"registration_id": registration.id})
    last = connection.scalar(_LAST_RESEND, {"registration_id": registration.id})
    if last is None or now - last >= RESEND_INTERVAL:
        notify(session, registration, "confirm_email" if registration.is_held else "repeat_signup", now)


def cancel_refusal(registration, now=None):
    """Return the error that cancelling `registration` now would raise, or None if it may."""
    now = now or utcnow()
    if registration.status == CANCELLED:
        return AlreadyCancelledError()
    if registration.ticket is not None and registration.ticket.admitted > 0:
        return TicketUsedError()
    if now >= registration.screening.starts_at:
        return ScreeningStartedError()
    return None


def cancel(registration_id, now=None, reason="attendee", user_id=None):
    """Cancel a registration and give its seats to the waiting list (R7).

    `reason` is attendee or organizer; it is kept with the registration and picks the message.
    An organizer's cancellation (`user_id` given, or reason organizer) is written to the audit log.
    Raises NotFoundError, AlreadyCancelledError, TicketUsedError, ScreeningStartedError,
    RegistrationChangedError (moved to another screening at each of several tries).
    """
    now = now or utcnow()

    def attempt():
        screening_id = db.session.scalar(
            sa.select(Registration.screening_id).where(Registration.id == registration_id)
        )
        if screening_id is None:
            raise NotFoundError()
        with write_transaction() as session:
            return cancel_in(session, screening_id, registration_id, now, reason, user_id)

    return until_unmoved(attempt)


class ScreeningChanged(Exception):
    """The registration is no longer in the screening the caller read and locked (an organizer
    moved it meanwhile): nothing was written; read its screening again and retry."""


def until_unmoved(attempt):
    """Return attempt(), run again while it raises ScreeningChanged (rolled back, nothing
    written), up to _RACE_RETRIES times in all; then raise RegistrationChangedError."""
    for _try in range(_RACE_RETRIES):
        try:
            return attempt()
        except ScreeningChanged:
            continue
    raise RegistrationChangedError()


def cancel_in(session, screening_id, registration_id, now, reason="attendee", user_id=None):
    """Cancel as `cancel` does, in the caller's write transaction (an erasure's, which cancels
    and anonymises together). A refusal is raised before anything is written; what it wrote is
    flushed before it returns (the caller may go on with plain SQL).

    Locks the screening's row: a caller cancelling in several screenings goes in their id order.
    Raises ScreeningChanged when the registration is not in `screening_id` any more.
    """
    screening = lock_screening(session, screening_id)
    # Locked, then read fresh with its ticket: a check-in at the door locks the same row.
    registration = session.execute(
        sa.select(Registration)
        .where(Registration.id == registration_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if registration.screening_id != screening_id:
        raise ScreeningChanged()  # its seats are another screening's: that one must be locked
    if registration.ticket is not None:
        session.refresh(registration.ticket)
    refusal = cancel_refusal(registration, now)
    if refusal is not None:
        raise refusal
    if registration.status == CONFIRMED:
        release_seats(session, screening, registration.seats)
    registration.status = CANCELLED
    registration.cancelled_at = now
    registration.cancel_reason = reason
    notify(session, registration, "cancelled")
    promoted = promote_waitlist(session, screening)
    if user_id is not None or reason == "organizer":
        audit.record(session, user_id, "registration.cancel", registration, reason=reason,
                     seats=registration.seats, promoted=len(promoted))
    session.flush()
    return CancelResult(registration, promoted)


def waitlist_position(registration):
    """Return the 1-based place of a waiting registration in its screening's queue."""
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.screening_id == registration.screening_id,
            Registration.status == WAITLISTED,
            Registration.id < registration.id,
        )
    )
    return ahead + 1


def find_by_secret(secret):
    """Return the registration behind a self-service link, or raise NotFoundError."""
    # A NUL cannot be in a link we made, and PostgreSQL refuses it in a query (an error, not a miss).
    if not isinstance(secret, str) or not 16 <= len(secret) <= 64 or "\x00" in secret:
        raise NotFoundError()
    registration = db.session.execute(
        sa.select(Registration).where(Registration.secret == secret)
    ).scalar_one_or_none()
    if registration is None:
        raise NotFoundError()
    return registration
