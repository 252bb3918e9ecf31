"""Find my ticket: a person who lost the e-mail asks for their tickets again, by address.

One request queues one e-mail to that address listing every active booking it holds (confirmed or
waiting, for screenings not cancelled and not long past), each with its private link, in the
language of the request. Whether the address holds a booking is never told to the asker: the
page answers the same, and only the address's owner reads the list. The outbox row hangs on the
address's booking whose film comes last (every message belongs to a registration); the list
itself is read when the e-mail is composed, so that it is as fresh as the moment it leaves, and
the sender sends it even when a film of it has begun (mailer._pointless).
"""
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from ..database import write_transaction
from ..errors import InvalidInputError
from ..extensions import db
from ..models import MessageKind, Registration, RegistrationStatus, Screening, utcnow
from .inputs import clean_email
from .notifications import notify

KIND = MessageKind.FIND_TICKETS.value
# A booking is listed until a while after its screening started: the film is still on, or the
# person is at the door right after it began.
LISTED_AFTER_START = timedelta(hours=12)
_ACTIVE = (RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value)


def _active(email_normalized, now):
    return (
        sa.select(Registration)
        .join(Screening, Screening.id == Registration.screening_id)
        .where(
            Registration.email_normalized == email_normalized,
            Registration.status.in_(_ACTIVE),
            Screening.is_cancelled.is_(False),
            Screening.starts_at >= now - LISTED_AFTER_START,
            # A hold that ran out is gone, whether or not the sender has cancelled it yet.
            sa.or_(Registration.hold_until.is_(None), Registration.hold_until > now),
        )
    )


def request_links(email, locale, now=None):
    """Queue the list of `email`'s active bookings to that address, in `locale`, if it has any.
    Returns nothing either way: what the asker is told must not depend on it.
    Raises InvalidInputError (field "email") for text that is not an e-mail address."""
    try:
        _typed, normalized = clean_email(email)
    except ValueError as error:
        raise InvalidInputError({"email": str(error)}) from error
    now = now or utcnow()
    with write_transaction() as session:
        # The booking whose film comes last: the one whose page stays useful longest.
        latest = session.scalars(_active(normalized, now).order_by(Screening.starts_at.desc(), Registration.id.desc())
                                 .limit(1)).first()
        if latest is not None and latest.email:
            notify(session, SimpleNamespace(id=latest.id, email=latest.email, locale=locale), KIND, now)


def active_bookings(registration, now=None):
    """The active bookings of `registration`'s address, by screening time: what the e-mail lists."""
    now = now or utcnow()
    query = _active(registration.email_normalized, now).order_by(Screening.starts_at, Registration.id)
    return db.session.scalars(query).all()
