"""Messages to attendees, recorded in the outbox in the caller's transaction."""
import sqlalchemy as sa

from ..models import MessageKind, OutboxMessage, Registration, UTCDateTime, utcnow

_CHUNK = 5000  # ids per statement: SQLite allows 32,766 bound values

_INSERT = OutboxMessage.__table__.insert()

# An organizer's message: written by services.announcements, with the announcement it carries.
ANNOUNCEMENT = MessageKind.ANNOUNCEMENT.value
KINDS = tuple(kind.value for kind in MessageKind if kind is not MessageKind.ANNOUNCEMENT)
HELD = MessageKind.CONFIRM_EMAIL.value  # what a booking held for its e-mail address is sent (holds.py)


def notify(session, registration, kind, now=None):
    """Record a message of `kind` to the attendee, in the session's transaction.

    `registration` is a stored Registration or a snapshot with its id, email and locale. The
    message is sent after the commit by a sender (a later issue). A registration without an
    e-mail address (a guest or walk-in) gets no message, nor one whose address is not confirmed
    yet (holds.py) but the link that confirms it.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    if not registration.email:
        return
    if getattr(registration, "hold_until", None) is not None and kind != HELD:
        return  # an address not yet shown to be the person's gets its confirmation link only
    session.connection().execute(
        _INSERT,
        {"kind": kind, "registration_id": registration.id, "recipient": registration.email,
         "locale": registration.locale, "created_at": now or utcnow(), "sent_at": None,
         "attempts": 0, "last_error": ""},
    )


def notify_many(session, registration_ids, kind, now=None):
    """Record a message of `kind` to each of `registration_ids` that has an e-mail address, in
    one statement per 5,000 ids in the session's transaction; return how many were recorded."""
    r = Registration.__table__.c
    return sum(
        notify_where(session, r.id.in_(registration_ids[start:start + _CHUNK]), kind, now)
        for start in range(0, len(registration_ids), _CHUNK)
    )


def notify_where(session, condition, kind, now=None, announcement_id=None):
    """Record a message of `kind` to every registration matching `condition` (a SQL condition on
    the registrations table) that has an e-mail address, in one INSERT … SELECT in the session's
    transaction, in sign-up order (so the sender sends them in that order); return how many.

    `announcement_id` goes with kind ANNOUNCEMENT: the organizer's message the rows carry.
    """
    if kind not in KINDS and not (kind == ANNOUNCEMENT and announcement_id is not None):
        raise ValueError(f"unknown message kind {kind!r}")
    r = Registration.__table__.c
    rows = sa.select(
        sa.literal(kind, sa.String), r.id, r.email, r.locale, sa.literal(now or utcnow(), UTCDateTime()),
        sa.literal(0, sa.Integer), sa.literal("", sa.Text), sa.literal(announcement_id, sa.Integer),
    ).where(condition, r.email != "", r.hold_until.is_(None)).order_by(r.id)
    # RETURNING counts the rows on both databases (psycopg reports no rowcount here).
    return len(session.execute(
        _INSERT.from_select(
            ["kind", "registration_id", "recipient", "locale", "created_at", "attempts", "last_error",
             "announcement_id"],
            rows, include_defaults=False,
        ).returning(OutboxMessage.__table__.c.id)
    ).all())
