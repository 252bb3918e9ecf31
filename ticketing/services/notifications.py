"""Messages to attendees, recorded in the outbox in the caller's transaction."""
from ..models import OutboxMessage

KINDS = ("confirmation", "repeat_signup", "waitlisted", "promoted", "cancelled")


def notify(session, registration, kind):
    """Record a message of `kind` to the attendee; it is sent after the commit by a sender."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    message = OutboxMessage(
        kind=kind,
        registration=registration,
        recipient=registration.email,
        locale=registration.locale,
    )
    session.add(message)
    return message
