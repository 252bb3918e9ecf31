"""One person's data, found by e-mail address: what is stored, its export, and its erasure.

The erasure first cancels the person's active registrations of screenings that have not begun,
through services.booking (seats freed, the waiting list promoted, R1 and R7 as always), then
anonymises every registration of the address (services.privacy). The audit log records that an
erasure happened and its counts, never the address.
"""
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..database import write_transaction
from ..errors import (
    AlreadyCancelledError,
    InvalidInputError,
    NotFoundError,
    ScreeningStartedError,
    TicketUsedError,
)
from ..extensions import db
from ..models import Announcement, AuditEntry, CheckIn, OutboxMessage, Registration, Screening, User, utcnow
from . import audit, booking, privacy, questions
from .inputs import clean_email
from .mailer import error_text

EMAIL_MAX_TYPED = 1000  # longer than any address: refused before it is even parsed


def normalized_address(email):
    """Return the normalised form of a typed address, or raise InvalidInputError for the field."""
    if isinstance(email, str) and len(email) > EMAIL_MAX_TYPED:
        raise InvalidInputError({"email": _("This e-mail address is too long.")})
    try:
        return clean_email(email)[1]
    except ValueError as error:
        raise InvalidInputError({"email": str(error)}) from None


@dataclass
class PersonData:
    """Everything stored about one e-mail address."""

    email: str  # normalised
    registrations: list = field(default_factory=list)
    checkins: dict = field(default_factory=dict)  # ticket id -> [CheckIn]
    messages: dict = field(default_factory=dict)  # registration id -> [OutboxMessage]
    announcements: dict = field(default_factory=dict)  # id -> Announcement
    audit_entries: list = field(default_factory=list)
    previews: list = field(default_factory=list)  # (path, uploaded at, rows)
    staff_account: User | None = None

    @property
    def is_empty(self):
        return not (self.registrations or self.previews or self.staff_account)

    @property
    def message_count(self):
        return sum(len(m) for m in self.messages.values())

    @property
    def checkin_count(self):
        return sum(len(c) for c in self.checkins.values())


def find(email):
    """Return the PersonData of a typed address. Raises InvalidInputError."""
    normalized = normalized_address(email)
    data = PersonData(normalized)
    data.registrations = db.session.scalars(
        sa.select(Registration).where(Registration.email_normalized == normalized)
        .options(selectinload(Registration.ticket), selectinload(Registration.screening).selectinload(Screening.event))
        .order_by(Registration.id)
    ).all()
    ids = [r.id for r in data.registrations]
    ticket_ids = [r.ticket.id for r in data.registrations if r.ticket is not None]
    for chunk in _chunks(ticket_ids):
        for scan in db.session.scalars(sa.select(CheckIn).where(CheckIn.ticket_id.in_(chunk)).order_by(CheckIn.id)):
            data.checkins.setdefault(scan.ticket_id, []).append(scan)
    for chunk in _chunks(ids):
        for message in db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.registration_id.in_(chunk)).order_by(OutboxMessage.id)):
            data.messages.setdefault(message.registration_id, []).append(message)
    announcement_ids = {m.announcement_id for ms in data.messages.values() for m in ms if m.announcement_id}
    if announcement_ids:
        data.announcements = {a.id: a for a in db.session.scalars(
            sa.select(Announcement).where(Announcement.id.in_(announcement_ids)))}
    message_ids = [m.id for ms in data.messages.values() for m in ms]
    subjects = [sa.and_(AuditEntry.subject_type == kind, AuditEntry.subject_id.in_(chunk))
                for kind, every in (("registrations", ids), ("outbox", message_ids)) for chunk in _chunks(every)]
    if subjects:
        data.audit_entries = db.session.scalars(
            sa.select(AuditEntry).where(sa.or_(*subjects)).order_by(AuditEntry.id)).all()
    data.previews = privacy.previews_with(normalized)
    data.staff_account = db.session.scalar(sa.select(User).where(User.email == normalized))
    return data


def _chunks(values, size=5000):
    """`values` in slices that stay under SQLite's limit of bound parameters."""
    return [values[start:start + size] for start in range(0, len(values), size)]


def _time(value):
    return value.isoformat() if value is not None else None


def as_json(data, now=None):
    """Return the person's data as a JSON-ready dict (what the export file holds)."""
    registrations = []
    for r in data.registrations:
        ticket = r.ticket
        registrations.append({
            "id": r.id,
            "screening": {"id": r.screening.id, "title": r.screening.title, "starts_at": _time(r.screening.starts_at),
                          "event": r.screening.event.name, "venue": r.screening.display_venue},
            "name": r.name, "email": r.email, "seats": r.seats, "language": r.locale, "status": r.status,
            "source": r.source, "note": r.note, "created_at": _time(r.created_at),
            "cancelled_at": _time(r.cancelled_at), "cancel_reason": r.cancel_reason,
            "ticket": ticket and {
                "code": ticket.code, "seats": ticket.seats, "admitted": ticket.admitted,
                "first_admitted_at": _time(ticket.first_admitted_at), "last_admitted_at": _time(ticket.last_admitted_at),
            },
            "checkins": [{
                "scanned_at": _time(c.scanned_at), "result": c.result, "reason": c.reason, "seats": c.seats,
                "undoes_id": c.undoes_id, "id": c.id,
                "recorded_by": "door staff" if c.staff_user_id else ("door device" if c.device_id else ""),
                "recorded_at": _time(c.recorded_at), "let_in_offline": c.offline_seats, "conflict": c.is_conflict,
            } for c in (data.checkins.get(ticket.id, []) if ticket else [])],
            "messages": [_message(m, data.announcements) for m in data.messages.get(r.id, [])],
            "answers": [{"question": asked_as, "answer": answer} for _q, asked_as, answer in questions.answers_of(r.id)],
        })
    return {
        "about": "Personal data stored by the festival's ticketing for one e-mail address.",
        "email": data.email,
        "exported_at": _time(now or utcnow()),
        "registrations": registrations,
        "audit_log": [{"id": e.id, "action": e.action, "subject": e.subject_type, "subject_id": e.subject_id,
                       "at": _time(e.created_at), "details": e.details} for e in data.audit_entries],
        "pending_guest_list_imports": [{
            "uploaded_at": _time(datetime.fromtimestamp(uploaded, timezone.utc)) if uploaded else None,
            "rows": [{k: row.get(k) for k in ("number", "name", "email", "seats", "note", "language")} for row in rows],
        } for _path, uploaded, rows in data.previews],
        "staff_account": data.staff_account and {
            "email": data.staff_account.email, "role": data.staff_account.role,
            "is_active": data.staff_account.is_active, "created_at": _time(data.staff_account.created_at),
        },
    }


def _message(message, announcements):
    state = "sent" if message.sent_at else ("failed" if message.failed_at else "waiting")
    item = {"kind": message.kind, "recipient": message.recipient, "language": message.locale,
            "state": state, "created_at": _time(message.created_at), "sent_at": _time(message.sent_at),
            "failed_at": _time(message.failed_at), "error": error_text(message.last_error)}
    announcement = announcements.get(message.announcement_id)
    if announcement is not None:
        item["subject"], item["body"] = announcement.subject, announcement.body
    return item


def record_export(data, user_id):
    """Write to the audit log that an organizer exported a person's data (counts only)."""
    with write_transaction() as session:
        audit.record(session, user_id, "person.export", None, registrations=len(data.registrations))


@dataclass
class Erasure:
    """What an erasure did."""

    registrations: int = 0
    cancelled: int = 0  # active registrations of coming screenings cancelled first
    promoted: int = 0  # people who got a seat from the waiting list thanks to them
    messages: int = 0
    checkins: int = 0
    files: int = 0  # message copies and guest-list previews deleted


def _erase_in_one_transaction(ids, user_id, now):
    """Cancel the registrations `ids` of coming screenings, then anonymise them all, with the
    audit entry, in one write transaction; return (Erasure, privacy.Anonymised).

    Which registrations are coming, and in which screening, is read inside the transaction (a
    registration may have been moved or cancelled since the look-up); the screenings are locked in
    id order (no deadlock with another erasure or a move, which sorts too). Raises
    booking.ScreeningChanged if one is moved between that read and its lock.
    """
    result = Erasure(registrations=len(ids))
    with write_transaction() as session:
        coming = session.execute(
            sa.select(Registration.screening_id, Registration.id)
            .join(Screening, Screening.id == Registration.screening_id)
            .where(Registration.id.in_(ids), Registration.status != booking.CANCELLED, Screening.starts_at > now)
            .order_by(Registration.screening_id, Registration.id)
        ).all()
        for screening_id, registration_id in coming:
            try:
                cancelled = booking.cancel_in(session, screening_id, registration_id, now, "organizer", user_id)
            except (AlreadyCancelledError, TicketUsedError, ScreeningStartedError):
                continue  # cancelled meanwhile, or the person is in the hall: only anonymised
            result.cancelled += 1
            result.promoted += len(cancelled.promoted)
        done = privacy.anonymise(session, ids, now)
        result.messages, result.checkins = done.messages, done.checkins
        audit.record(session, user_id, "person.erase", None, registrations=result.registrations,
                     cancelled=result.cancelled, promoted=result.promoted, messages=result.messages,
                     checkins=result.checkins)
    return result, done


def erase(email, user_id=None, now=None):
    """Erase what is stored about an address: cancel, then anonymise; return an Erasure.

    One transaction: the cancellations (and the waiting list's promotions they bring), the
    anonymisation and the audit entry are written together or not at all, so an erasure cut
    short (a crash, the database gone) leaves nothing half done and can simply be run again.
    Registrations made after the erasure started are left alone (the person signed up again).
    Raises InvalidInputError, NotFoundError (nothing is stored about the address),
    RegistrationChangedError (bookings moved to other screenings at each of several tries).
    """
    now = now or utcnow()
    data = find(email)
    if not data.registrations and not data.previews:
        raise NotFoundError(_("Nothing is stored about this e-mail address.") if data.is_empty
                            else _("No registration is stored for this e-mail address."))
    ids = [r.id for r in data.registrations]
    # An organizer moving one of the bookings meanwhile rolls it back: it starts again.
    result, done = booking.until_unmoved(lambda: _erase_in_one_transaction(ids, user_id, now))
    result.files = privacy.delete_files(done.paths) + privacy.delete_files(path for path, _at, _rows in data.previews)
    privacy.checkpoint()
    return result
