"""Events and screenings as organizers set them up: create, edit, publish, cancel (R1, R7, R8, R9).

Every change runs in one write transaction with its audit entry. A screening's capacity and its
seats held for guests change through one guarded UPDATE (`… WHERE seats_taken + held <=
capacity`), so that sign-ups racing the edit can never leave more seats taken than the hall
holds; seats an edit frees go to the waiting list in the same transaction (R7).
"""
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError, ScreeningCancelledError
from ..extensions import db
from ..models import Event, Protection, Registration, Screening, utcnow
from . import audit
from . import event_inputs as fi
from .notifications import notify_where
from .seats import CONFIRMED, WAITLISTED, lock_screening, promote_waitlist

CAPACITY_MAX = 100_000
MAX_SEATS_MAX = 100

_EVENT = {
    "name": lambda v, e: fi.text(v, "name", e, 200, required=True, what=_l("The name")),
    "slug": lambda v, e: fi.slug(v, "slug", e),
    "description": lambda v, e: fi.text(v, "description", e, fi.TEXT_MAX, multiline=True, what=_l("The description")),
    "timezone": lambda v, e: fi.time_zone(v, "timezone", e),
    "venue": lambda v, e: fi.text(v, "venue", e, 200, what=_l("The venue")),
    "address": lambda v, e: fi.text(v, "address", e, 300, what=_l("The address")),
    "contact_email": lambda v, e: fi.email(v, "contact_email", e),
    "is_published": lambda v, e: fi.flag(v, "is_published", e),
    "accent": lambda v, e: fi.colour(v, "accent", e),
    "protection": lambda v, e: fi.choice(v, "protection", e, PROTECTIONS, what=_l("The protection of free seats")),
    "main_language": lambda v, e: fi.choice(v, "main_language", e, current_app.config["LANGUAGES"],
                                            what=_l("The main language")),
    "directions": lambda v, e: fi.text(v, "directions", e, fi.TEXT_MAX, multiline=True, what=_l("The directions")),
    "mail_closing": lambda v, e: fi.text(v, "mail_closing", e, 2000, multiline=True,
                                         what=_l("The e-mails' closing words")),
    "thank_you": lambda v, e: fi.flag(v, "thank_you", e),
    "reminder_hours": lambda v, e: fi.whole(v, "reminder_hours", e, 1, REMINDER_HOURS_MAX,
                                            what=_l("The reminder time")),
}
# Reminders (services/reminders.py) leave this many hours before each screening at most; empty
# is none. A new event reminds a day before unless its organizer says otherwise.
REMINDER_HOURS_MAX = 24 * 14
DEFAULT_REMINDER_HOURS = 24
PROTECTIONS = tuple(p.value for p in Protection)
# A new event asks for e-mail confirmation unless its organizer says otherwise: free seats are
# what a script hoards, and the honest person's cost is one click in an e-mail (README).
DEFAULT_PROTECTION = Protection.EMAIL.value
_EVENT_REQUIRED = ("name", "slug", "timezone")

# Each cleaner takes the raw value, the errors and the event's zone (for the times).
_SCREENING = {
    "title": lambda v, e, tz: fi.text(v, "title", e, 200, required=True, what=_l("The title")),
    "original_title": lambda v, e, tz: fi.text(v, "original_title", e, 200, what=_l("The original title")),
    "director": lambda v, e, tz: fi.text(v, "director", e, 200, what=_l("The director")),
    "year": lambda v, e, tz: fi.whole(v, "year", e, 1880, 2100, what=_l("The year")),
    "runtime_minutes": lambda v, e, tz: fi.whole(v, "runtime_minutes", e, 1, 1440, what=_l("The running time")),
    "language": lambda v, e, tz: fi.text(v, "language", e, 100, what=_l("The language")),
    "subtitles": lambda v, e, tz: fi.text(v, "subtitles", e, 100, what=_l("The subtitles")),
    "description": lambda v, e, tz: fi.text(v, "description", e, fi.TEXT_MAX, multiline=True, what=_l("The description")),
    "note": lambda v, e, tz: fi.text(v, "note", e, 300, what=_l("The note")),
    "venue": lambda v, e, tz: fi.text(v, "venue", e, 200, what=_l("The venue")),
    "hall": lambda v, e, tz: fi.text(v, "hall", e, 100, what=_l("The hall")),
    "starts_at": lambda v, e, tz: fi.local_time(v, "starts_at", e, tz, required=True, what=_l("The start")),
    "capacity": lambda v, e, tz: fi.whole(v, "capacity", e, 0, CAPACITY_MAX, required=True, what=_l("The capacity")),
    "max_seats": lambda v, e, tz: fi.whole(v, "max_seats", e, 1, MAX_SEATS_MAX, required=True,
                                          what=_l("Seats per registration")),
    "seats_held": lambda v, e, tz: fi.whole(v, "seats_held", e, 0, CAPACITY_MAX, what=_l("Seats held for guests")) or 0,
    "release_minutes": lambda v, e, tz: fi.whole(v, "release_minutes", e, 0, 1440, what=_l("The release time")),
    "registration_opens_at": lambda v, e, tz: fi.local_time(v, "registration_opens_at", e, tz,
                                                            what=_l("The opening of registration")),
    "registration_closes_at": lambda v, e, tz: fi.local_time(v, "registration_closes_at", e, tz,
                                                             what=_l("The closing of registration")),
    "is_published": lambda v, e, tz: fi.flag(v, "is_published", e),
}
_SCREENING_REQUIRED = ("title", "starts_at", "capacity")
EVENT_FIELDS = tuple(_EVENT)
SCREENING_FIELDS = tuple(_SCREENING)
_S = Screening.__table__.c
_ACTIVE = (CONFIRMED, WAITLISTED)


@dataclass
class ScreeningChange:
    """What update_screening() did: the fields it changed and whom freed seats went to."""

    screening: Screening
    changed: dict = field(default_factory=dict)
    promoted: list = field(default_factory=list)


def _unknown(fields, known):
    extra = set(fields) - set(known)
    if extra:
        raise TypeError(f"unknown fields: {', '.join(sorted(extra))}")


def _jsonable(values):
    """The values for the audit log: times as ISO 8601 text."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _clean_event(fields, event_id=None):
    _unknown(fields, _EVENT)
    errors = {}
    typed_slug = "slug" in fields and isinstance(fields["slug"], str) and bool(fields["slug"].strip())
    if "slug" in fields and not typed_slug and isinstance(fields.get("name"), str):
        fields = {**fields, "slug": fi.make_slug(fields["name"])}  # left empty: made from the name
    values = {name: _EVENT[name](raw, errors) for name, raw in fields.items()}
    if values.get("slug") and _slug_taken(values["slug"], event_id):
        if typed_slug:
            errors["slug"] = str(_SLUG_TAKEN)
        else:  # made here: the first free one of name, name-2, name-3…
            values["slug"] = _free_slug(values["slug"], event_id)
    if errors:
        raise InvalidInputError(errors)
    return values


_SLUG_TAKEN = _l("Another event already has this web address name. Choose another one.")


def _free_slug(made, event_id):
    for number in range(2, 1000):
        suffix = f"-{number}"
        candidate = made[: fi.SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if not _slug_taken(candidate, event_id):
            return candidate
    raise InvalidInputError({"slug": str(_SLUG_TAKEN)})


def _slug_taken(slug, event_id):
    query = sa.select(Event.id).where(Event.slug == slug)
    if event_id is not None:
        query = query.where(Event.id != event_id)
    return db.session.scalar(query) is not None


def create_event(user_id=None, **fields):
    """Create an event from the organizer's fields and return it.

    Needs name, slug (a unique web address name) and timezone (IANA, e.g. Europe/Brussels); a
    new event is unpublished unless is_published says otherwise, asks for e-mail confirmation
    unless protection says otherwise, and reminds a day before unless reminder_hours says
    otherwise (empty: no reminders). Raises InvalidInputError.
    """
    fields.setdefault("is_published", False)
    fields.setdefault("protection", DEFAULT_PROTECTION)
    fields.setdefault("reminder_hours", DEFAULT_REMINDER_HOURS)
    missing = {name: None for name in _EVENT_REQUIRED if name not in fields}
    values = _clean_event({**missing, **fields})
    try:
        with write_transaction() as session:
            event = Event(**values)
            session.add(event)
            session.flush()
            audit.record(session, user_id, "event.create", event, fields=_jsonable(values))
            return event
    except IntegrityError as error:  # a racing twin took the slug since the check
        raise InvalidInputError({"slug": str(_SLUG_TAKEN)}) from error


def lock_event(session, event_id):
    """Lock an event's row for the rest of the transaction and return it fresh.

    Raises NotFoundError.
    """
    event = session.get(Event, event_id, with_for_update=True, populate_existing=True)
    if event is None:
        raise NotFoundError()
    return event


def update_event(event_id, user_id=None, **fields):
    """Change the given fields of an event; return it. Raises NotFoundError, InvalidInputError.

    Screenings keep their moment in time if the time zone changes (their local times move).
    """
    values = _clean_event(fields, event_id)
    try:
        with write_transaction() as session:
            event = lock_event(session, event_id)
            changed = {k: v for k, v in values.items() if getattr(event, k) != v}
            for name, value in changed.items():
                setattr(event, name, value)
            if changed:
                session.flush()
                audit.record(session, user_id, "event.update", event, changed=_jsonable(changed))
            return event
    except IntegrityError as error:
        raise InvalidInputError({"slug": str(_SLUG_TAKEN)}) from error


def publish_event(event_id, published, user_id=None):
    """Publish (shown to the public, open to sign-up) or unpublish an event; return it."""
    published = bool(published)
    with write_transaction() as session:
        event = lock_event(session, event_id)
        if event.is_published != published:
            event.is_published = published
            session.flush()
            audit.record(session, user_id, "event.publish" if published else "event.unpublish", event)
        return event


def _clean_screening(fields, tz, current=None):
    """Clean the given fields, then check them together with the stored ones (`current`)."""
    _unknown(fields, _SCREENING)
    errors = {}
    values = {name: _SCREENING[name](raw, errors, tz) for name, raw in fields.items()}

    def merged(name):
        if name in errors:
            return None
        if name in values:
            return values[name]
        return getattr(current, name, None)

    starts, opens, closes = merged("starts_at"), merged("registration_opens_at"), merged("registration_closes_at")
    if opens and starts and opens >= starts and "registration_opens_at" not in errors:
        errors["registration_opens_at"] = _("Registration must open before the film starts.")
    if closes and opens and closes <= opens and "registration_closes_at" not in errors:
        errors["registration_closes_at"] = _("Registration must close after it opens.")
    if closes and starts and closes > starts and "registration_closes_at" not in errors:
        errors["registration_closes_at"] = _("Registration must close at the start of the film or before.")
    capacity, held = merged("capacity"), merged("seats_held")
    if capacity is not None and held and held > capacity and "seats_held" not in errors:
        errors["seats_held"] = _("No more seats can be held back for guests than the hall has (%(capacity)d).",
                                 capacity=capacity)
    if errors:
        raise InvalidInputError(errors)
    return values


def create_screening(event_id, user_id=None, **fields):
    """Add a screening to an event from the organizer's fields (times in the event's zone).

    Needs title, starts_at and capacity; a new screening is unpublished unless is_published
    says otherwise. Raises NotFoundError, InvalidInputError.
    """
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFoundError()
    fields.setdefault("is_published", False)
    fields.setdefault("max_seats", 1)
    missing = {name: None for name in _SCREENING_REQUIRED if name not in fields}
    values = _clean_screening({**missing, **fields}, event.tz)
    with write_transaction() as session:
        screening = Screening(event_id=event_id, seats_taken=0, **values)
        session.add(screening)
        session.flush()
        audit.record(session, user_id, "screening.create", screening, fields=_jsonable(values))
        return screening


def update_screening(screening_id, user_id=None, **fields):
    """Change the given fields of a screening; return a ScreeningChange.

    The capacity never drops below the seats taken plus those held for guests: the write is
    one guarded UPDATE, refused if a racing sign-up took the seats first. Seats freed by a
    higher capacity or fewer held seats go to the waiting list at once (R7).
    Raises NotFoundError, InvalidInputError.
    """
    screening = db.session.get(Screening, screening_id)
    if screening is None:
        raise NotFoundError()
    values = _clean_screening(fields, screening.event.tz, current=screening)
    with write_transaction() as session:
        screening = lock_screening(session, screening_id)
        changed = {k: v for k, v in values.items() if getattr(screening, k) != v}
        if not changed:
            return ScreeningChange(screening)
        capacity = changed.get("capacity", screening.capacity)
        held = changed.get("seats_held", screening.seats_held)
        statement = sa.update(Screening.__table__).where(_S.id == screening_id).values(**changed)
        if "capacity" in changed or "seats_held" in changed:
            statement = statement.where(_S.seats_taken + held <= capacity)
        if session.execute(statement).rowcount != 1:
            raise InvalidInputError(_seats_refusal(session, screening_id, changed, capacity, held))
        session.refresh(screening)
        promoted = []
        if not screening.is_cancelled and ("capacity" in changed or "seats_held" in changed):
            promoted = promote_waitlist(session, screening)  # finds no seat if none was freed
        audit.record(session, user_id, "screening.update", screening, changed=_jsonable(changed),
                     promoted=len(promoted))
        return ScreeningChange(screening, changed, promoted)


def _seats_refusal(session, screening_id, changed, capacity, held):
    taken = session.scalar(sa.select(_S.seats_taken).where(_S.id == screening_id))
    if "capacity" in changed and held:
        return {"capacity": ngettext(
            "%(num)d seats are already taken and %(held)d held back for guests: the capacity cannot be lower "
            "than %(lowest)d.",
            "%(num)d seats are already taken and %(held)d held back for guests: the capacity cannot be lower "
            "than %(lowest)d.", taken, held=held, lowest=taken + held)}
    if "capacity" in changed:
        return {"capacity": ngettext("%(num)d seats are already taken: the capacity cannot be lower than %(lowest)d.",
                                     "%(num)d seats are already taken: the capacity cannot be lower than %(lowest)d.",
                                     taken, lowest=taken + held)}
    return {"seats_held": ngettext("Only %(num)d seats are not taken yet: no more can be held back.",
                                   "Only %(num)d seats are not taken yet: no more can be held back.",
                                   max(capacity - taken, 0))}


def publish_screening(screening_id, published, user_id=None):
    """Publish (shown to the public, open to sign-up) or unpublish a screening; return it."""
    published = bool(published)
    with write_transaction() as session:
        screening = lock_screening(session, screening_id)
        if screening.is_published != published:
            screening.is_published = published
            session.flush()
            audit.record(session, user_id, "screening.publish" if published else "screening.unpublish", screening)
        return screening


def cancel_preview(screening_id):
    """Return (registrations to be told by e-mail, active registrations without an address)."""
    active = sa.and_(Registration.screening_id == screening_id, Registration.status.in_(_ACTIVE))
    with_email = sa.func.count().filter(Registration.email != "")
    without = sa.func.count().filter(Registration.email == "")
    row = db.session.execute(sa.select(with_email, without).where(active)).one()
    return row[0], row[1]


def cancel_screening(screening_id, user_id=None, now=None):
    """Cancel a screening and tell everyone with an active registration; return how many.

    One "screening_cancelled" message per confirmed or waitlisted registration with an e-mail
    address is written to the outbox in the same transaction, in one INSERT … SELECT. Tickets
    stay as they are; the door refuses them (reason screening_cancelled).
    Raises NotFoundError, ScreeningCancelledError (cancelled already).
    """
    now = now or utcnow()
    with write_transaction() as session:
        screening = lock_screening(session, screening_id)
        if screening.is_cancelled:
            raise ScreeningCancelledError(_("This screening was cancelled already."))
        screening.is_cancelled = True
        session.flush()
        r = Registration.__table__.c
        told = notify_where(session, (r.screening_id == screening_id) & r.status.in_(_ACTIVE),
                            "screening_cancelled", now)
        audit.record(session, user_id, "screening.cancel", screening, messages=told)
        return told
