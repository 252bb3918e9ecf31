"""Messages to attendees, recorded in the outbox in the caller's transaction."""
from ..models import OutboxMessage, utcnow

_INSERT = OutboxMessage.__table__.insert()

KINDS = ("confirmation", "repeat_signup", "waitlisted", "promoted", "cancelled", "released",
         "moved", "screening_cancelled")


def notify(session, registration, kind, now=None):
    """Record a message of `kind` to the attendee, in the session's transaction.

    `registration` is a stored Registration or a snapshot with its id, email and locale. The
    message is sent after the commit by a sender (a later issue). A registration without an
    e-mail address (a guest or walk-in) gets no message.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    if not registration.email:
        return
    session.connection().execute(
        _INSERT,
        {"kind": kind, "registration_id": registration.id, "recipient": registration.email,
         "locale": registration.locale, "created_at": now or utcnow(), "sent_at": None,
         "attempts": 0, "last_error": ""},
    )
