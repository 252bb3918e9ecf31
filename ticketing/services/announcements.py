"""Organizers' messages to the attendees of a screening ("the start moves by 15 minutes").

`send` records the message and one outbox row per attendee with an e-mail address, in one
transaction with its audit entry (one INSERT … SELECT, however many attendees). The outbox's
sender delivers each in the attendee's language: greeting, screening and links translated, the
organizer's own words as written. The form's one-time key makes a form sent twice (a double
click, a reload, two tabs) send once.
"""
import secrets
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError
from ..extensions import db
from ..models import Announcement, OutboxMessage, Registration, Screening, utcnow
from . import audit, mailer, texts
from . import event_inputs as fi
from .mail_compose import compose, new_message_id
from .notifications import ANNOUNCEMENT, notify_where
from .seats import CONFIRMED, WAITLISTED

SUBJECT_MAX = 200
BODY_MAX = 10_000
FORM_KEY_MAX = 64
# Who receives it: the people holding seats, or also those on the waiting list.
AUDIENCES = {"confirmed": (CONFIRMED,), "active": (CONFIRMED, WAITLISTED)}
NOBODY = _l("Nobody in this group has an e-mail address: there is no one to send it to.")
_R = Registration.__table__.c
# A booking whose address is not confirmed yet (holds.py) hears nothing from the organizers: the
# address may be anyone's.
_PROVEN = _R.hold_until.is_(None)


def _audience(screening_id, audience):
    return (_R.screening_id == screening_id) & _R.status.in_(AUDIENCES[audience]) & _PROVEN


_O = OutboxMessage.__table__


@dataclass
class Sent:
    """What `send` did: the message, and whether this call wrote it (False: sent before)."""

    announcement: Announcement
    created: bool


def audience_counts(screening_id):
    """{audience: (people with an e-mail address, registrations without one)} for a screening."""
    rows = db.session.execute(
        sa.select(_R.status, (_R.email != "").label("has_email"), sa.func.count())
        .where(_R.screening_id == screening_id, _R.status.in_((CONFIRMED, WAITLISTED)), _PROVEN)
        .group_by(_R.status, sa.literal_column("has_email"))
    ).all()
    counts = {}
    for audience, statuses in AUDIENCES.items():
        reached = sum(n for status, has_email, n in rows if status in statuses and has_email)
        missed = sum(n for status, has_email, n in rows if status in statuses and not has_email)
        counts[audience] = (reached, missed)
    return counts


@dataclass
class Preview:
    """The message as the attendees of one language will read it: their `locale`, how many they
    are, and the e-mail's subject and text for the first of them (their greeting, their link)."""

    locale: str
    people: int
    subject: str
    text: str


def preview(screening_id, subject, body, audience, translations=None):
    """The message as each language among its recipients will read it (cleaned as `send` cleans
    it; nothing is written). Raises InvalidInputError, NotFoundError."""
    subject, body, audience, _key = clean(subject, body, audience, "x" * 16)
    screening = db.session.get(Screening, screening_id)
    if screening is None:
        raise NotFoundError()
    words = _words(screening, subject, body, translations)
    reached = _audience(screening_id, audience) & (_R.email != "")
    shown = []
    for locale, people in db.session.execute(
        sa.select(_R.locale, sa.func.count()).where(reached).group_by(_R.locale).order_by(sa.func.count().desc(), _R.locale)
    ).all():
        first = db.session.scalars(sa.select(Registration).where(reached, _R.locale == locale).order_by(_R.id).limit(1)).one()
        row = SimpleNamespace(kind=ANNOUNCEMENT, recipient=first.email, locale=locale, announcement=words)
        message = compose(row, first, "<preview@localhost>", utcnow())
        shown.append(Preview(locale, people, message["Subject"], message.get_body(("plain",)).get_content()))
    return shown


def send_test(screening_id, subject, body, audience, to_address, locale, translations=None):
    """E-mail the message, as attendees will get it, to `to_address` only (the organizer), in
    `locale`; nothing is written. Its greeting names the organizer's address and its ticket link
    leads to no ticket (no attendee's private link leaves in a test). Raises InvalidInputError,
    NotFoundError, mailer.Unreachable."""
    subject, body, audience, _key = clean(subject, body, audience, "x" * 16)
    screening = db.session.get(Screening, screening_id)
    if screening is None:
        raise NotFoundError()
    words = _words(screening, subject, body, translations)
    token = f"test-{secrets.token_hex(4)}"
    reader = SimpleNamespace(id=0, name=to_address, email=to_address, secret=token, locale=locale,
                             screening=screening, ticket=None, status=CONFIRMED, is_held=False, hold_until=None)
    row = SimpleNamespace(kind=ANNOUNCEMENT, recipient=to_address, locale=locale, announcement=words)
    message = compose(row, reader, new_message_id(token), utcnow())
    message.replace_header("Subject", f"[TEST] {message['Subject']}")
    transport = mailer.transport()
    try:
        transport.send(message, token)
    finally:
        transport.close()


def history(screening_id):
    """The screening's messages, newest first, each with its outbox counts (sent, waiting, failed)."""
    o = _O.c
    delivered = (
        sa.select(
            o.announcement_id,
            sa.func.count(o.sent_at).label("sent"),
            sa.func.count(o.failed_at).label("failed"),
        )
        .where(o.announcement_id.is_not(None))
        .group_by(o.announcement_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Announcement, delivered.c.sent, delivered.c.failed)
        .outerjoin(delivered, delivered.c.announcement_id == Announcement.id)
        .where(Announcement.screening_id == screening_id)
        .order_by(Announcement.id.desc())
        .options(sa.orm.selectinload(Announcement.created_by))
    ).all()
    return [
        (item, sent or 0, failed or 0, item.recipients - (sent or 0) - (failed or 0))
        for item, sent, failed in rows
    ]


def _words(screening, subject, body, translations):
    """The message as it will be kept, not yet written: its subject and text, and theirs in the
    event's other languages (texts.py). Raises InvalidInputError."""
    return SimpleNamespace(subject=subject, body=body, screening=screening,
                           texts=clean_translations(screening, translations))


def clean_translations(screening, translations):
    """{locale: {"subject", "body"}} of the message in the event's other languages, cleaned as the
    main ones are; a language left empty is dropped. Errors are told per language's field
    (subject_fr, body_fr). Raises InvalidInputError."""
    cleaned, errors = {}, {}
    for locale in texts.other_languages(screening):
        values = (translations or {}).get(locale) or {}
        if not any(values.values()):
            continue
        try:
            cleaned[locale] = texts.clean(Announcement, locale, values, [locale])
        except InvalidInputError as failure:
            errors.update({f"{name}_{locale}": message for name, message in failure.fields.items()})
    if errors:
        raise InvalidInputError(errors)
    return cleaned


def clean(subject, body, audience, form_key):
    """Return the cleaned (subject, body, audience, form_key), or raise InvalidInputError."""
    errors = {}
    subject = fi.text(subject, "subject", errors, SUBJECT_MAX, required=True, what=_l("The subject"))
    body = fi.text(body, "body", errors, BODY_MAX, required=True, multiline=True, what=_l("The message"))
    if audience not in AUDIENCES:
        errors["audience"] = _l("Choose who receives the message.")
    if not isinstance(form_key, str) or not 16 <= len(form_key) <= FORM_KEY_MAX or not form_key.isascii():
        errors["form"] = _l("This form is incomplete. Please open it again.")  # no field shows it
    if errors:
        raise InvalidInputError(errors)
    return subject, body, audience, form_key


def send(screening_id, subject, body, audience, form_key, user_id=None, now=None, translations=None):
    """Write the message to every attendee of `audience` with an e-mail address; return Sent.
    `translations` ({locale: {"subject", "body"}}) reach each attendee of those languages in
    theirs; the others read the main language's.

    Raises NotFoundError (no such screening), InvalidInputError (a field; or nobody to write to).
    """
    subject, body, audience, form_key = clean(subject, body, audience, form_key)
    now = now or utcnow()
    try:
        with write_transaction() as session:
            screening = session.get(Screening, screening_id)
            if screening is None:
                raise NotFoundError()
            written = clean_translations(screening, translations)
            earlier = session.scalar(sa.select(Announcement).where(Announcement.form_key == form_key))
            if earlier is not None:
                return _sent_before(earlier, screening_id, subject, body, audience)
            announcement = Announcement(
                screening_id=screening_id, subject=subject, body=body, audience=audience,
                created_by_id=user_id, created_at=now, form_key=form_key, recipients=0, texts=written,
            )
            session.add(announcement)
            session.flush()
            told = notify_where(
                session, _audience(screening_id, audience),
                ANNOUNCEMENT, now, announcement_id=announcement.id,
            )
            if not told:
                raise InvalidInputError({"audience": NOBODY})
            announcement.recipients = told
            audit.record(session, user_id, "screening.announce", screening, announcement=announcement.id,
                         audience=audience, messages=told)
            return Sent(announcement, True)
    except IntegrityError:
        # The same form, sent at the same moment by another request, won the unique key.
        db.session.rollback()
        earlier = db.session.scalar(sa.select(Announcement).where(Announcement.form_key == form_key))
        if earlier is None:
            raise
        return _sent_before(earlier, screening_id, subject, body, audience)


def _sent_before(earlier, screening_id, subject, body, audience):
    """The same form again: the same message is "sent already"; a changed one (the form reopened
    with Back and edited) is refused, with the text kept, rather than dropped in silence."""
    if (earlier.screening_id, earlier.subject, earlier.body, earlier.audience) == (screening_id, subject, body, audience):
        return Sent(earlier, False)
    raise InvalidInputError({"form": _l("This form was sent already. Open it again to write a new message.")})
