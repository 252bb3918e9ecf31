"""Reminders that free seats: a set time before each screening, every seat holder is e-mailed
their ticket with one link, "Can't come? Free your seats", that gives back all their seats or
some of a group ticket's, and promotes the waiting list at once (R7).

The event sets the time (`reminder_hours`, default 24; None: off). The outbox's sender, at each
look (`flask outbox run`, or a pass of `flask outbox send`), writes the reminders of every
screening whose time has come: one conditional UPDATE marks the screening reminded (only one
sender wins it, on both databases), and one INSERT … SELECT in the same transaction writes a
message for each registration that holds seats then and was made before the reminder time
(with an e-mail address, its address confirmed). A screening is reminded once: a registration
made later, promoted later or moved in later gets its own ticket message, not a reminder.

Freeing seats locks the screening's row, then the registration's, as a cancellation does. The
form carries the seats the person saw: a second press of the same button (or a race of two)
finds the registration changed and frees nothing more.
"""
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..database import write_transaction
from ..errors import (
    AlreadyCancelledError,
    InvalidInputError,
    NotFoundError,
    ScreeningStartedError,
    TicketingError,
    TicketUsedError,
)
from ..extensions import db
from ..models import Event, MessageKind, Registration, RegistrationStatus, Screening, utcnow
from .booking import ScreeningChanged, cancel_in, until_unmoved
from .events import REMINDER_HOURS_MAX
from .notifications import notify_where
from .seats import lock_screening, promote_waitlist, release_seats

KIND = MessageKind.REMINDER.value
CONFIRMED = RegistrationStatus.CONFIRMED.value
CANCELLED = RegistrationStatus.CANCELLED.value
_S = Screening.__table__.c
_R = Registration.__table__.c


def reminder_time(screening, event):
    """When `screening`'s reminders are due, or None when its event sends none."""
    if event.reminder_hours is None:
        return None
    return screening.starts_at - timedelta(hours=event.reminder_hours)


def queue_due(now=None):
    """Write the reminders of every screening whose reminder time has come and that has not begun;
    return how many messages were written. Safe to call often and from several senders at once."""
    now = now or utcnow()
    candidates = db.session.execute(
        sa.select(Screening, Event).join(Event, Screening.event_id == Event.id)
        .where(_S.reminded_at.is_(None), _S.is_cancelled.is_(False), _S.is_published.is_(True),
               Event.is_published.is_(True), _S.starts_at > now,
               _S.starts_at <= now + timedelta(hours=REMINDER_HOURS_MAX), Event.reminder_hours.is_not(None))
    ).all()
    due = [(screening.id, at) for screening, event in candidates
           if (at := reminder_time(screening, event)) is not None and at <= now]
    db.session.rollback()  # no read transaction left open behind the caller's back
    written = 0
    for screening_id, at in due:
        with write_transaction() as session:
            won = session.execute(
                Screening.__table__.update().where(_S.id == screening_id, _S.reminded_at.is_(None))
                .values(reminded_at=now).returning(_S.id)
            ).first()
            if won is not None:
                written += notify_where(session, sa.and_(
                    _R.screening_id == screening_id, _R.status == CONFIRMED, _R.created_at <= at), KIND, now)
    return written


@dataclass
class Freed:
    """What a press of "Free my seats" did: `seats` given back (0 when the registration had
    changed since the form was shown), `cancelled` when that was all of them, and the
    registrations promoted from the waiting list."""

    registration: Registration
    seats: int
    cancelled: bool
    promoted: list


class NoSeatsHeldError(TicketingError):
    code = "no_seats_held"
    message = _l("This registration holds no seats yet: it is on the waiting list.")


def freeable(registration):
    """How many of a registration's seats its holder may still give back: those of a confirmed
    registration that nobody came in on."""
    if registration.status != CONFIRMED:
        return 0
    admitted = registration.ticket.admitted if registration.ticket is not None else 0
    return registration.seats - admitted


def free_seats(registration_id, seats, seats_seen, now=None):
    """Give back `seats` of a registration's seats from its reminder's link: all of them cancels
    it (its seat holder is told, as for any cancellation), fewer leaves a smaller ticket. The
    seats go to the waiting list at once (R7) and count as freed by reminders.

    `seats_seen` is the registration's seats as the form showed them: if they changed since (the
    button pressed twice), nothing more is freed. Raises NotFoundError, AlreadyCancelledError,
    ScreeningStartedError, NoSeatsHeldError (waiting), TicketUsedError (everyone is in already),
    InvalidInputError (seats).
    """
    now = now or utcnow()

    def attempt():
        screening_id = db.session.scalar(sa.select(_R.screening_id).where(_R.id == registration_id))
        if screening_id is None:
            raise NotFoundError()
        with write_transaction() as session:
            return _free_in(session, screening_id, registration_id, seats, seats_seen, now)

    return until_unmoved(attempt)


def _free_in(session, screening_id, registration_id, seats, seats_seen, now):
    screening = lock_screening(session, screening_id)
    registration = session.execute(
        sa.select(Registration).where(Registration.id == registration_id)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if registration.screening_id != screening_id:
        raise ScreeningChanged()
    if registration.ticket is not None:
        session.refresh(registration.ticket)
    if registration.status == CANCELLED:
        raise AlreadyCancelledError()
    if now >= screening.starts_at:
        raise ScreeningStartedError()
    if registration.seats != seats_seen:
        return Freed(registration, 0, False, [])  # freed already, by an earlier press
    if registration.status != CONFIRMED:
        raise NoSeatsHeldError()
    left = freeable(registration)
    if left <= 0:
        raise TicketUsedError()
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= left:
        raise InvalidInputError({"seats": _l("Choose how many seats to free: from 1 to %(most)d.", most=left)})
    _count(session, screening_id, seats)
    if seats == registration.seats:
        result = cancel_in(session, screening_id, registration_id, now, reason="attendee")
        return Freed(result.registration, seats, True, result.promoted)
    registration.seats -= seats
    if registration.ticket is not None:
        registration.ticket.seats -= seats
    release_seats(session, screening, seats)
    promoted = promote_waitlist(session, screening)
    session.flush()
    return Freed(registration, seats, False, promoted)


def _count(session, screening_id, seats):
    session.execute(Screening.__table__.update().where(_S.id == screening_id)
                    .values(seats_freed_by_reminder=_S.seats_freed_by_reminder + seats))
