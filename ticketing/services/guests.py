"""The organizer's and the door's registrations: guests, walk-ins, moves, and the release of
unclaimed seats before the film. R1, R6 and R7 hold here as in services.booking.

Seats held back for guests (`Screening.seats_held`) are a pool the public cannot take: a guest
takes from it first, then from the free seats. At `release_minutes` before the start, seats
booked by the public but not yet claimed at the door, and the held seats no guest took, are
released once: to the waiting list first, then to walk-ins added at the door. Guests added by
an organizer keep their seats (they were invited by name).
"""
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import timedelta

import sqlalchemy as sa
from babel import Locale
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..errors import (
    AlreadyCancelledError,
    AlreadyRegisteredError,
    InvalidInputError,
    NoSeatsError,
    NotFoundError,
    NotMovableError,
    RegistrationChangedError,
    ScreeningCancelledError,
)
from ..extensions import db
from ..formatting import LANGUAGE_NAMES
from ..models import CheckIn, Registration, RegistrationSource, Screening, Ticket, utcnow
from . import audit, questions, tickets
from .booking import CANCELLED, CONFIRMED
from .seats import lock_screening, promote_waitlist, take_guest_seats, take_seats
from .inputs import clean_email, clean_name, has_hidden_characters
from .notifications import notify, notify_many

NOTE_MAX = 500
GUEST_SEATS_MAX = 100  # an organizer may give one guest more seats than the public form allows
_S = Screening.__table__.c

@dataclass(frozen=True)
class Guest:
    """One guest to add, checked by clean_guest()."""

    name: str
    email: str  # "" for none
    email_normalized: str | None
    seats: int
    note: str
    locale: str = "en"  # the language of the guest's e-mails and PDF ticket
    answers: dict = field(default_factory=dict)  # {question id: value}, checked (questions.py)


def clean_guest(name, email="", seats=1, note="", language=None, default_language=None):
    """Check a guest's fields; return a Guest or raise InvalidInputError with a message per field.

    Unlike the public form, the e-mail address is optional and a guest may have up to
    GUEST_SEATS_MAX seats. `language` (a code or a language's name, see clean_language) is the
    language of the guest's e-mails; empty, it is `default_language` (the organizer's).
    """
    errors, values = {}, {}
    try:
        values["locale"] = clean_language(language, default_language)
    except ValueError as error:
        errors["language"] = str(error)
    try:
        values["name"] = clean_name(name)
    except ValueError as error:
        errors["name"] = str(error)
    values["email"], values["email_normalized"] = "", None
    if email is not None and (not isinstance(email, str) or email.strip()):
        try:
            values["email"], values["email_normalized"] = clean_email(email)
        except ValueError as error:
            errors["email"] = str(error)
    values["seats"] = _clean_count(seats, GUEST_SEATS_MAX, errors)
    note = "" if note is None else note
    # Line breaks and tabs (a note typed in a text area) become spaces below; other control
    # characters are refused.
    if not isinstance(note, str) or has_hidden_characters(" ".join(note.split())) or len(note) > NOTE_MAX:
        errors["note"] = _("The note must be plain text of at most %(n)d characters.", n=NOTE_MAX)
    else:
        values["note"] = " ".join(note.split())
    if errors:
        raise InvalidInputError(errors)
    return Guest(**values)


def clean_language(raw, default=None):
    """Return the code of a language the app speaks, from a code ("fr", "fr-BE", "FR") or the
    language's name in any of the app's languages, accents optional ("Français", "francais",
    "French", "néerlandais", "казахский"); "" or None gives `default` (else the app's default
    language). Raises ValueError with a message."""
    spoken = current_app.config["LANGUAGES"]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default if default in spoken else current_app.config["BABEL_DEFAULT_LOCALE"]
    if isinstance(raw, str):
        wanted = _folded(raw.strip().replace("_", "-"))
        names = _language_names(tuple(spoken))
        found = names.get(wanted) or names.get(wanted.split("-", 1)[0])
        if found:
            return found
    raise ValueError(_("Choose one of these languages: %(codes)s.", codes=", ".join(spoken)))


def _folded(text):
    """Casefolded, without accents: "Français" and "francais" are one name."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


@lru_cache(maxsize=4)
def _language_names(spoken):
    """{folded code or name: code} for the languages `spoken`, named in each of them and in
    their own words (LANGUAGE_NAMES)."""
    names = {}
    for code in spoken:
        locale = Locale.parse(code)
        for name in [code, LANGUAGE_NAMES.get(code, code), *(locale.get_display_name(ui) for ui in spoken)]:
            names.setdefault(_folded(name), code)
    return names


def _clean_count(raw, maximum, errors, field="seats"):
    text = str(raw).strip() if isinstance(raw, (int, str)) and not isinstance(raw, bool) else None
    if raw is None or text == "":
        return 1
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 6 or not 1 <= int(text) <= maximum:
        errors[field] = _("Seats must be a whole number from 1 to %(max)d.", max=maximum)
        return None
    return int(text)


def add_guests(screening_id, guests, user_id=None, now=None):
    """Add checked guests (a list of Guest) to a screening, all or none, confirmed at once.

    Returns the new registrations. Each guest with an e-mail address gets the ticket by e-mail.
    Raises NotFoundError, ScreeningCancelledError, NoSeatsError (they do not all fit),
    AlreadyRegisteredError (an e-mail address is registered already, or twice in `guests`).
    """
    now = now or utcnow()
    if not guests:
        return []
    emails = [g.email_normalized for g in guests if g.email_normalized]
    if len(emails) != len(set(emails)):
        raise AlreadyRegisteredError(_("The same e-mail address is given for two guests."))
    try:
        with write_transaction() as session:
            screening = lock_screening(session, screening_id)
            if screening.is_cancelled:
                raise ScreeningCancelledError()
            total = sum(g.seats for g in guests)
            if total and not take_guest_seats(session.connection(), screening_id, total):
                raise NoSeatsError()
            ids = _insert_many(session, screening_id, guests, user_id, now)
            notify_many(session, ids, "confirmation", now)
            added = _load(session, screening_id, ids)
            audit.record(session, user_id, "guests.add", screening, count=len(added), seats=total)
            return added
    except IntegrityError as error:
        # R6: an active registration of one of these e-mail addresses exists (or a code collided,
        # which 130 bits make practically impossible).
        raise AlreadyRegisteredError() from error


def add_guest(screening_id, name, email="", seats=1, note="", user_id=None, now=None, language=None):
    """Add one guest by hand; see add_guests(). Raises InvalidInputError for bad fields too."""
    return add_guests(screening_id, [clean_guest(name, email, seats, note, language)], user_id, now)[0]


_INSERT_REGISTRATIONS = sa.insert(Registration.__table__).returning(
    Registration.__table__.c.id, sort_by_parameter_order=True
)
_INSERT_TICKETS = sa.insert(Ticket.__table__)


def _insert_many(session, screening_id, guests, user_id, now):
    """Insert confirmed guest registrations and their tickets in two bulk statements; return
    the new ids in the order of `guests` (a 10,000-row list takes about a second, not a minute)."""
    connection = session.connection()
    ids = [row.id for row in connection.execute(_INSERT_REGISTRATIONS, [
        {"screening_id": screening_id, "name": g.name, "name_normalized": g.name.casefold(),
         "email": g.email, "email_normalized": g.email_normalized, "seats": g.seats, "locale": g.locale,
         "status": CONFIRMED, "secret": tickets.new_secret(), "form_key": None,
         "source": RegistrationSource.GUEST.value, "note": g.note, "created_by_id": user_id,
         "created_at": now, "cancelled_at": None, "cancel_reason": ""}
        for g in guests
    ])]
    connection.execute(_INSERT_TICKETS, [
        {"registration_id": rid, "code": tickets.new_code(), "seats": g.seats, "admitted": 0,
         "first_admitted_at": None, "last_admitted_at": None, "created_at": now}
        for rid, g in zip(ids, guests)
    ])
    questions.write_many(connection, [(rid, g.answers) for rid, g in zip(ids, guests) if g.answers])
    return ids


def _load(session, screening_id, ids):
    """Return the registrations `ids` (with their tickets) as objects, in the same order."""
    wanted = set(ids)
    found = session.scalars(
        sa.select(Registration)
        .where(Registration.screening_id == screening_id, Registration.id.between(min(ids), max(ids)))
        .options(selectinload(Registration.ticket))
    ).all()
    by_id = {r.id: r for r in found if r.id in wanted}
    return [by_id[i] for i in ids]


def _insert(session, screening_id, guest, source, user_id, now, admitted=0):
    registration = Registration(
        screening_id=screening_id, name=guest.name, name_normalized=guest.name.casefold(),
        email=guest.email, email_normalized=guest.email_normalized, seats=guest.seats,
        locale="en", status=CONFIRMED, secret=tickets.new_secret(), source=source.value,
        note=guest.note, created_by_id=user_id, created_at=now,
    )
    registration.ticket = Ticket(
        code=tickets.new_code(), seats=guest.seats, admitted=admitted, created_at=now,
        first_admitted_at=now if admitted else None, last_admitted_at=now if admitted else None,
    )
    session.add(registration)
    session.flush()
    return registration


def add_walkin(screening_id, name="", seats=1, user_id=None, device_id=None, now=None):
    """Seat someone who comes to the door without a booking, and admit them at once.

    Takes only seats the public may take (never the held ones). The admission is logged like a
    scan (R5). Returns the registration. Raises InvalidInputError, NotFoundError,
    ScreeningCancelledError, NoSeatsError.
    """
    now = now or utcnow()
    errors = {}
    try:
        # No name is fine at the door; a name that is not text is an error, not "no name".
        name = "Walk-in" if name is None or (isinstance(name, str) and not name.strip()) else clean_name(name)
    except ValueError as error:
        errors["name"] = str(error)
    seats = _clean_count(seats, GUEST_SEATS_MAX, errors)
    if errors:
        raise InvalidInputError(errors)
    guest = Guest(name=name, email="", email_normalized=None, seats=seats, note="")
    with write_transaction() as session:
        screening = session.get(Screening, screening_id)
        if screening is None:
            raise NotFoundError(_("No screening has this id."))
        if screening.is_cancelled:
            raise ScreeningCancelledError()
        if not take_seats(session.connection(), screening_id, seats):
            raise NoSeatsError(_("No seats are free for walk-ins."))
        registration = _insert(session, screening_id, guest, RegistrationSource.WALKIN, user_id, now,
                               admitted=seats)
        session.add(CheckIn(
            ticket_id=registration.ticket.id, screening_id=screening_id,
            scanned_code=registration.ticket.code, staff_user_id=user_id, device_id=device_id,
            seats=seats, result="admitted", reason="walkin", scanned_at=now, recorded_at=now,
        ))
        session.flush()
        return registration


def release_time(screening):
    """Return when unclaimed seats of `screening` are released, or None if they never are."""
    if screening.release_minutes is None:
        return None
    return screening.starts_at - timedelta(minutes=screening.release_minutes)


def release_due(screening_id, now=None):
    """Release unclaimed seats if the screening's release time has come and they were not yet.

    Safe to call often and from many processes: one call does the release, the others find it
    done. Returns the number of seats released by this call.
    """
    now = now or utcnow()
    row = db.session.execute(
        sa.select(_S.starts_at, _S.release_minutes, _S.released_at, _S.is_cancelled).where(_S.id == screening_id)
    ).one_or_none()
    when = None if row is None or row.released_at is not None or row.is_cancelled else release_time(row)
    if when is None or now < when:
        db.session.rollback()  # leave no read transaction open behind the caller's back
        return 0
    with write_transaction() as session:
        screening = lock_screening(session, screening_id)
        if screening.released_at is not None:
            return 0
        # Lock the candidates first: a check-in holds its registration's lock while it admits.
        # Then read their tickets in a new statement, which sees the admissions that committed
        # while we waited (READ COMMITTED on PostgreSQL; SQLite runs one writer at a time).
        claimable = (
            Registration.screening_id == screening_id,
            Registration.status == CONFIRMED,
            Registration.source == RegistrationSource.PUBLIC.value,
        )
        session.execute(sa.select(Registration.id).where(*claimable).with_for_update()).all()
        unclaimed = session.scalars(
            sa.select(Registration)
            .join(Ticket)
            .where(*claimable, Ticket.admitted == 0)
            .execution_options(populate_existing=True)
        ).all()
        seats = sum(r.seats for r in unclaimed)
        for registration in unclaimed:
            registration.status = CANCELLED
            registration.cancel_reason = "released"
            registration.cancelled_at = now
            notify(session, registration, "released", now)
        held = screening.seats_held
        screening.seats_taken -= seats
        screening.seats_held = 0
        screening.released_at = now
        promoted = promote_waitlist(session, screening)
        audit.record(session, None, "screening.release", screening, registrations=len(unclaimed),
                     seats=seats, held_seats=held, promoted=len(promoted))
        return seats + held


def move(registration_id, to_screening_id, user_id=None, now=None):
    """Move an active registration, not yet checked in, to another screening of the same event.

    Its ticket code stays; it is valid at the new screening only. It needs free seats there (a
    guest may take held ones) and is confirmed there, also if it was waiting. Seats it frees go
    to the old screening's waiting list (R7).
    Raises NotFoundError, NotMovableError, ScreeningCancelledError, NoSeatsError,
    AlreadyRegisteredError.
    """
    now = now or utcnow()
    from_id = db.session.scalar(sa.select(Registration.screening_id).where(Registration.id == registration_id))
    if from_id is None:
        raise NotFoundError()
    if from_id == to_screening_id:
        raise NotMovableError(_("The registration is for this screening already."))
    try:
        with write_transaction() as session:
            # Both screenings locked in id order, so that two opposite moves cannot deadlock.
            locked = {sid: lock_screening(session, sid) for sid in sorted((from_id, to_screening_id))}
            source, target = locked[from_id], locked[to_screening_id]
            registration = session.execute(
                sa.select(Registration).where(Registration.id == registration_id)
                .with_for_update().execution_options(populate_existing=True)
            ).scalar_one()
            session.refresh(registration.ticket)
            if registration.screening_id != from_id:
                # Moved by someone else between our first read and the locks: those locks are
                # on the wrong screening, and the organizer decided on a state that is gone.
                raise NotMovableError(RegistrationChangedError.message)
            if registration.status == CANCELLED or registration.ticket.admitted > 0:
                raise NotMovableError()
            if target.event_id != source.event_id:
                raise NotMovableError(_("A registration can only move within its event."))
            if target.is_cancelled:
                raise ScreeningCancelledError()
            guest = registration.source == RegistrationSource.GUEST.value
            connection = session.connection()
            taken = (take_guest_seats(connection, target.id, registration.seats)
                     if guest else take_seats(connection, target.id, registration.seats))
            if not taken:
                raise NoSeatsError(_("Not enough seats are free at that screening."))
            if registration.status == CONFIRMED:
                session.execute(
                    sa.update(Screening).where(Screening.id == source.id)
                    .values(seats_taken=Screening.seats_taken - registration.seats)
                    .execution_options(synchronize_session=False)
                )
            registration.status = CONFIRMED
            registration.hold_until = None  # the organizer who moves it vouches for it (holds.py)
            registration.screening_id = target.id
            session.flush()
            session.expire_all()
            promoted = promote_waitlist(session, session.get(Screening, source.id))
            audit.record(session, user_id, "registration.move", registration, from_screening=source.id,
                         to_screening=target.id, promoted=len(promoted))
            notify(session, registration, "moved", now)
            return registration
    except IntegrityError as error:
        raise AlreadyRegisteredError() from error


def resend_ticket(registration_id, user_id=None, now=None):
    """Queue the registration's ticket (or waiting-list) e-mail again, on an organizer's request.

    Raises NotFoundError, AlreadyCancelledError, InvalidInputError (no e-mail address).
    """
    with write_transaction() as session:
        registration = session.get(Registration, registration_id)
        if registration is None:
            raise NotFoundError()
        if registration.status == CANCELLED:
            raise AlreadyCancelledError()
        if not registration.email:
            raise InvalidInputError({"email": _("This registration has no e-mail address.")})
        kind = ("confirm_email" if registration.is_held  # its link, not a ticket: the address is unproven
                else "confirmation" if registration.status == CONFIRMED else "waitlisted")
        notify(session, registration, kind, now)
        audit.record(session, user_id, "registration.resend", registration)
        return registration
