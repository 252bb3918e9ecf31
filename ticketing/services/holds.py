"""Seats kept for people: a booking held until its e-mail address is confirmed.

At an event whose protection is "email", a public booking takes its seats (or its place on the
waiting list) at once, as any booking does (R1, R7), but holds them only until `hold_until`
(BOOKING_HOLD_MINUTES after it was made). Its e-mail carries a link that confirms it; until then
its ticket admits no one and is not shown. A hold not confirmed in time is cancelled
(cancel_reason "unconfirmed"): its seats go to the waiting list and the public. A script that
books with made-up addresses thus holds seats for minutes, never for the film.

The link's token is an HMAC of the registration's secret under SECRET_KEY: only the e-mail holds
it (the page shown after booking does not), and nothing more is stored. Confirming and expiring
lock the screening's row, then the registration's, as a cancellation does: a confirmation that
races the expiry either confirms in time or finds the hold gone, never both.
"""
import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..database import write_transaction
from ..errors import NotFoundError
from ..extensions import db
from ..models import Protection, Registration, RegistrationStatus, utcnow
from .notifications import notify
from .seats import lock_screening, promote_waitlist, release_seats

CONFIRMED = RegistrationStatus.CONFIRMED.value
CANCELLED = RegistrationStatus.CANCELLED.value
EMAIL = Protection.EMAIL.value
EXPIRED = "unconfirmed"  # the cancel_reason of a hold not confirmed in time
_R = Registration.__table__.c


def hold_for():
    """How long a booking keeps its place unconfirmed (BOOKING_HOLD_MINUTES)."""
    return timedelta(minutes=current_app.config["BOOKING_HOLD_MINUTES"])


def token(secret):
    """The confirmation link's token for the registration whose secret is `secret`."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, f"confirm-booking:{secret}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class Confirmation:
    """What following a confirmation link did: `outcome` is confirmed (now), already (before),
    expired (not confirmed in time) or cancelled (by the person or an organizer)."""

    registration: Registration
    outcome: str


def confirm(registration_id, given_token, now=None):
    """Confirm a held booking from the link in its e-mail, and queue its ticket (or its
    waiting-list message). Following the link again changes nothing.

    Raises NotFoundError (no such registration, or a token that is not its own).
    """
    now = now or utcnow()
    row = db.session.execute(
        sa.select(_R.screening_id, _R.secret).where(_R.id == registration_id)
    ).one_or_none()
    if row is None or not isinstance(given_token, str) or not hmac.compare_digest(
            given_token.encode(), token(row.secret).encode()):
        db.session.rollback()
        raise NotFoundError()
    with write_transaction() as session:
        screening = lock_screening(session, row.screening_id)
        registration = session.execute(
            sa.select(Registration).where(Registration.id == registration_id)
            .with_for_update().execution_options(populate_existing=True)
        ).scalar_one()
        if registration.screening_id != screening.id:  # moved meanwhile: an organizer confirmed it
            return Confirmation(registration, "already")
        if registration.status == CANCELLED:
            return Confirmation(registration, "expired" if registration.cancel_reason == EXPIRED else "cancelled")
        if registration.hold_until is None:
            return Confirmation(registration, "already")
        if ran_out(registration, now):
            _expire(session, screening, [registration], now)
            return Confirmation(registration, "expired")
        registration.hold_until = None
        notify(session, registration, "confirmation" if registration.status == CONFIRMED else "waitlisted", now)
        session.flush()
        return Confirmation(registration, "confirmed")


# A hold that has run out and is not yet cancelled, in SQL (the time bound as "now"); ran_out()
# says the same of a registration in hand.
RAN_OUT = sa.and_(_R.hold_until <= sa.bindparam("now"), _R.status != CANCELLED)


def ran_out(registration, now=None):
    """Whether `registration` was held and its time is over: cancelled for it already, or due."""
    if registration.status == CANCELLED:
        return registration.cancel_reason == EXPIRED
    return registration.hold_until is not None and registration.hold_until <= (now or utcnow())


def expire_due(now=None, screening_id=None):
    """Cancel every hold not confirmed in time (of one screening, or all) and give its seats to
    the waiting list (R7); return how many were cancelled. Safe to call often and from many
    processes: one screening at a time, locked, and each hold read again under the lock.

    The outbox's sender calls it at each look (`flask outbox run`), and a sign-up to a screening
    with an expired hold calls it first, so that the seats are free for that sign-up.
    """
    now = now or utcnow()
    query = sa.select(_R.screening_id).where(RAN_OUT).distinct()
    if screening_id is not None:
        query = query.where(_R.screening_id == screening_id)
    screening_ids = sorted(db.session.scalars(query, {"now": now}).all())
    db.session.rollback()  # no read transaction left open behind the caller's back
    expired = 0
    for each in screening_ids:
        with write_transaction() as session:
            screening = lock_screening(session, each)
            holds = session.scalars(
                sa.select(Registration).where(Registration.screening_id == each, RAN_OUT)
                .with_for_update().execution_options(populate_existing=True),
                {"now": now},
            ).all()
            expired += _expire(session, screening, holds, now)
    return expired


def _expire(session, screening, holds, now):
    """Cancel `holds` of the locked `screening` and promote from its waiting list; no e-mail (the
    address was never shown to be the person's). Return how many were cancelled."""
    seats = sum(hold.seats for hold in holds if hold.status == CONFIRMED)
    for hold in holds:
        hold.status = CANCELLED
        hold.cancel_reason = EXPIRED
        hold.cancelled_at = now
    if seats:
        release_seats(session, screening, seats)
    if holds:
        promote_waitlist(session, screening)
    session.flush()
    return len(holds)
