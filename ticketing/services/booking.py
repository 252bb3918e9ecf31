"""Booking, cancelling and the waiting list: rules R1, R3, R6 and R7 in one place.

Every operation is one write transaction (see database.write_transaction) that first locks the
screening's row, so that sign-ups and cancellations of one screening run one after another on
both databases. Seats are taken by a conditional UPDATE that can only succeed while seats
remain, and the CHECK constraint seats_taken <= capacity stands behind it.
"""
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..errors import (
    AlreadyCancelledError,
    NotFoundError,
    RegistrationClosedError,
    RegistrationNotOpenError,
    ScreeningCancelledError,
    ScreeningStartedError,
    TicketUsedError,
)
from ..extensions import db
from ..models import Registration, RegistrationStatus, Screening, Ticket, utcnow
from . import tickets
from .inputs import clean_signup
from .notifications import notify

CONFIRMED = RegistrationStatus.CONFIRMED.value
WAITLISTED = RegistrationStatus.WAITLISTED.value
CANCELLED = RegistrationStatus.CANCELLED.value
_RACE_RETRIES = 3
FEW_SEATS_MIN = 5  # "few seats left" from here, or from a tenth of the hall if more


@dataclass
class BookingResult:
    """What book() did: `outcome` is confirmed, waitlisted, repeat or resubmitted."""

    registration: Registration
    outcome: str


@dataclass
class CancelResult:
    """What cancel() did, and whom the freed seats went to."""

    registration: Registration
    promoted: list = field(default_factory=list)


def registration_state(screening, now=None):
    """Return open, not_open, closed or cancelled for sign-up to `screening` at `now` (R8)."""
    now = now or utcnow()
    if screening.is_cancelled:
        return "cancelled"
    if screening.registration_opens_at and now < screening.registration_opens_at:
        return "not_open"
    if now >= screening.closes_at:
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


def _lock_screening(session, screening_id):
    screening = session.execute(
        sa.select(Screening)
        .where(Screening.id == screening_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if screening is None:
        raise NotFoundError()
    return screening


def _take_seats(session, screening, seats):
    """Take `seats` if they are free, in one guarded statement; return True if taken (R1)."""
    result = session.execute(
        sa.update(Screening)
        .where(Screening.id == screening.id, Screening.seats_taken + seats <= Screening.capacity)
        .values(seats_taken=Screening.seats_taken + seats)
        .execution_options(synchronize_session=False)
    )
    session.expire(screening, ["seats_taken"])
    return result.rowcount == 1


def _release_seats(session, screening, seats):
    session.execute(
        sa.update(Screening)
        .where(Screening.id == screening.id)
        .values(seats_taken=Screening.seats_taken - seats)
        .execution_options(synchronize_session=False)
    )
    session.expire(screening, ["seats_taken"])


def _active_registration(session, screening_id, email_normalized):
    return session.execute(
        sa.select(Registration).where(
            Registration.screening_id == screening_id,
            Registration.email_normalized == email_normalized,
            Registration.status != CANCELLED,
        )
    ).scalar_one_or_none()


def book(screening_id, name, email, seats=1, locale="en", form_key=None, now=None):
    """Register a person for a screening: confirmed while seats last, else waitlisted.

    A repeat sign-up (same e-mail, an active registration exists) books nothing and records the
    ticket e-mail again (R6). The same form submitted twice returns the first registration.
    Raises InvalidInputError, NotFoundError, ScreeningCancelledError,
    RegistrationNotOpenError, RegistrationClosedError.
    """
    for attempt in range(_RACE_RETRIES):
        try:
            return _book_once(screening_id, name, email, seats, locale, form_key, now)
        except IntegrityError:
            # Only a concurrent twin can get here (the screening lock serialises the rest);
            # the retry sees what it committed.
            if attempt == _RACE_RETRIES - 1:
                raise


def _book_once(screening_id, name, email, seats, locale, form_key, now):
    now = now or utcnow()
    with write_transaction() as session:
        screening = _lock_screening(session, screening_id)
        name, email, email_normalized, seats = clean_signup(name, email, seats, screening.max_seats)
        _check_open(screening, now)
        existing = _active_registration(session, screening.id, email_normalized)
        if existing is not None:
            if form_key and existing.form_key == form_key:
                return BookingResult(existing, "resubmitted")
            notify(session, existing, "repeat_signup")
            return BookingResult(existing, "repeat")
        if form_key and session.scalar(
            sa.select(Registration.id).where(Registration.form_key == form_key)
        ):
            form_key = None  # a form reused for another person: book, without the key
        status = CONFIRMED if _take_seats(session, screening, seats) else WAITLISTED
        registration = Registration(
            screening=screening,
            name=name,
            email=email,
            email_normalized=email_normalized,
            seats=seats,
            locale=locale,
            status=status,
            secret=tickets.new_secret(),
            form_key=form_key,
            created_at=now,
        )
        registration.ticket = Ticket(code=tickets.new_code(), seats=seats, created_at=now)
        session.add(registration)
        notify(session, registration, "confirmation" if status == CONFIRMED else "waitlisted")
        session.flush()
        return BookingResult(registration, status)


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


def cancel(registration_id, now=None):
    """Cancel a registration and give its seats to the waiting list (R7).

    Raises NotFoundError, AlreadyCancelledError, TicketUsedError, ScreeningStartedError.
    """
    now = now or utcnow()
    screening_id = db.session.scalar(
        sa.select(Registration.screening_id).where(Registration.id == registration_id)
    )
    if screening_id is None:
        raise NotFoundError()
    with write_transaction() as session:
        screening = _lock_screening(session, screening_id)
        registration = session.execute(
            sa.select(Registration)
            .where(Registration.id == registration_id)
            .execution_options(populate_existing=True)
        ).scalar_one()
        refusal = cancel_refusal(registration, now)
        if refusal is not None:
            raise refusal
        if registration.status == CONFIRMED:
            _release_seats(session, screening, registration.seats)
        registration.status = CANCELLED
        registration.cancelled_at = now
        notify(session, registration, "cancelled")
        promoted = promote_waitlist(session, screening)
        return CancelResult(registration, promoted)


def promote_waitlist(session, screening):
    """Give free seats to waiting registrations, first come first served, each that fits (R7).

    Runs inside the caller's write transaction, with the screening locked.
    """
    promoted = []
    while True:
        session.flush()
        free = session.scalar(
            sa.select(Screening.capacity - Screening.seats_taken).where(Screening.id == screening.id)
        )
        if free <= 0:
            break
        candidate = session.execute(
            sa.select(Registration)
            .where(
                Registration.screening_id == screening.id,
                Registration.status == WAITLISTED,
                Registration.seats <= free,
            )
            .order_by(Registration.id)
            .limit(1)
        ).scalar_one_or_none()
        if candidate is None or not _take_seats(session, screening, candidate.seats):
            break
        candidate.status = CONFIRMED
        notify(session, candidate, "promoted")
        promoted.append(candidate)
    return promoted


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
    if not isinstance(secret, str) or not 16 <= len(secret) <= 64:
        raise NotFoundError()
    registration = db.session.execute(
        sa.select(Registration).where(Registration.secret == secret)
    ).scalar_one_or_none()
    if registration is None:
        raise NotFoundError()
    return registration
