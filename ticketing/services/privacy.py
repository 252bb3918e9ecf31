"""Privacy: anonymising registrations, and the purge of old screenings' personal data.

Anonymising a registration keeps what the counts need (its screening, seats, status, source,
times, its ticket's seats and admissions, the door log's rows, its messages' kinds and times)
and replaces what says who it was: name, e-mail and its normalised form, the organizer's note,
the language. Its self-service secret and its ticket code are replaced by fresh random ones, so
that the link and the QR code in the person's mailbox lead nowhere. Its messages lose their
recipient (and an address an SMTP server quoted in an error; unsent ones are given up), the door
log loses the codes that were scanned, and a copy of a message written to instance/outbox/ (no
MAIL_SERVER) is deleted.

The purge works in batches, each its own short write transaction: on SQLite the write lock is
held for one batch at a time, never for the whole purge, so sign-ups and scans go on meanwhile.
A second run finds nothing left to do. One person's export and erasure: services.personal_data.
"""
import json
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..database import write_transaction
from ..extensions import db
from ..models import Answer, AuditEntry, CheckIn, OutboxMessage, Registration, Screening, Ticket, utcnow
from . import audit, imports, tickets
from .calendar import DEFAULT_RUNTIME
from .inputs import clean_email
from .mailer import CANCELLED_SINCE, STARTED

ANONYMISED_NAME = "Anonymised"  # what lists show for a registration whose person is gone
BATCH = 500  # registrations per write transaction
# Keys of an audit entry's details that would hold an attendee's data (none records them today;
# a future action that did would be scrubbed too).
PERSONAL_DETAILS = frozenset({"name", "email", "note", "recipient"})
_EMAIL_LIKE = re.compile(r"\S*@\S*")  # an SMTP server's error may quote the address
_R, _T, _C, _O = (Registration.__table__.c, Ticket.__table__.c, CheckIn.__table__.c,
                  OutboxMessage.__table__.c)


def _still_personal():
    """SQL: the registration still holds something that tells who it was."""
    return sa.or_(_R.name != ANONYMISED_NAME, _R.email != "", _R.email_normalized.is_not(None),
                  _R.note != "", _R.locale != "en", _R.form_key.is_not(None))


def _message_needs_work():
    """SQL: the message still holds an address, or waits to be sent to someone now gone."""
    return sa.or_(_O.recipient != "", _O.last_error.contains("@"),
                  sa.and_(_O.sent_at.is_(None), _O.failed_at.is_(None)))


_FORGET_REGISTRATION = (
    sa.update(Registration.__table__).where(_R.id == sa.bindparam("rid"))
    .values(name=ANONYMISED_NAME, name_normalized=ANONYMISED_NAME.casefold(), email="",
            email_normalized=None, note="", locale="en", form_key=None, secret=sa.bindparam("new_secret"))
)
_NEW_CODE = (sa.update(Ticket.__table__).where(_T.registration_id == sa.bindparam("rid"))
             .values(code=sa.bindparam("new_code")))


@dataclass
class Anonymised:
    """What one anonymisation changed."""

    registrations: int = 0
    messages: int = 0
    checkins: int = 0
    files: int = 0
    paths: list = field(default_factory=list, repr=False)  # files to delete once committed

    def add(self, other):
        self.registrations += other.registrations
        self.messages += other.messages
        self.checkins += other.checkins
        self.files += other.files


def anonymise(session, registration_ids, now=None):
    """Anonymise the registrations `registration_ids` and what hangs on them, in the caller's
    write transaction; return an Anonymised. The files go once the caller commits (a deleted
    file cannot be rolled back, a left one is deleted by the next run)."""
    now = now or utcnow()
    result = Anonymised()
    if not registration_ids:
        return result
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # Overwrite the old values' bytes in the file's pages instead of only unlinking them.
        connection.exec_driver_sql("PRAGMA secure_delete=ON")
    ids = list(registration_ids)
    result.registrations = connection.execute(
        sa.select(sa.func.count()).where(_R.id.in_(ids), _still_personal())).scalar_one()
    connection.execute(_FORGET_REGISTRATION, [{"rid": i, "new_secret": tickets.new_secret()} for i in ids])
    for chunk in _chunks(ids):  # the answers to the organizers' questions are the person's too
        connection.execute(sa.delete(Answer.__table__).where(Answer.__table__.c.registration_id.in_(chunk)))
    connection.execute(_NEW_CODE, [{"rid": i, "new_code": tickets.new_code()} for i in ids])
    ticket_ids = sa.select(_T.id).where(_T.registration_id.in_(ids))
    result.checkins = connection.execute(
        sa.update(CheckIn.__table__).where(_C.ticket_id.in_(ticket_ids), _C.scanned_code != "")
        .values(scanned_code="")).rowcount
    message_ids = _forget_messages(connection, _O.registration_id.in_(ids), now)
    result.messages = len(message_ids)
    _scrub_audit(connection, "registrations", ids)
    _scrub_audit(connection, "outbox", message_ids)
    result.paths = _outbox_files(message_ids)
    session.expire_all()
    return result


def _forget_messages(connection, where, now):
    """Blank the recipients of the messages matching `where`; give up the unsent ones; return
    the ids of the messages changed."""
    rows = connection.execute(
        sa.select(_O.id, _O.last_error, _O.sent_at, _O.failed_at, Screening.starts_at)
        .select_from(OutboxMessage.__table__.join(Registration.__table__, _O.registration_id == _R.id)
                     .join(Screening.__table__, _R.screening_id == Screening.id))
        .where(where, _message_needs_work())
    ).all()
    ids = [row.id for row in rows]
    for chunk in _chunks(ids):
        connection.execute(OutboxMessage.__table__.update().where(_O.id.in_(chunk)).values(recipient=""))
    # Nobody is left to send an unsent one to: it is given up, for a reason the outbox knows
    # already (and that "try every failed message again" leaves alone).
    unsent = [row for row in rows if row.sent_at is None and row.failed_at is None]
    for reason, started in ((STARTED, True), (CANCELLED_SINCE, False)):
        for chunk in _chunks([row.id for row in unsent if (row.starts_at <= now) == started]):
            connection.execute(OutboxMessage.__table__.update().where(_O.id.in_(chunk))
                               .values(failed_at=now, claimed_until=None, last_error=reason))
    given_up = {row.id for row in unsent}
    for row in rows:  # an SMTP server's error may quote the address
        if row.id not in given_up and "@" in (row.last_error or ""):
            connection.execute(OutboxMessage.__table__.update().where(_O.id == row.id)
                               .values(last_error=_EMAIL_LIKE.sub("<address removed>", row.last_error)))
    return ids


def _chunks(values, size=5000):
    """`values` in slices that stay under SQLite's limit of bound parameters."""
    return [values[start:start + size] for start in range(0, len(values), size)]


def _scrub_audit(connection, subject_type, subject_ids):
    """Drop personal keys from the details of the audit entries about these subjects."""
    if not subject_ids:
        return
    a = AuditEntry.__table__.c
    for chunk in _chunks(subject_ids):
        entries = connection.execute(
            sa.select(a.id, a.details).where(a.subject_type == subject_type, a.subject_id.in_(chunk))
        ).all()
        for entry_id, details in entries:
            if isinstance(details, dict) and PERSONAL_DETAILS & set(details):
                kept = {k: v for k, v in details.items() if k not in PERSONAL_DETAILS}
                connection.execute(AuditEntry.__table__.update().where(a.id == entry_id).values(details=kept))


def _outbox_files(message_ids):
    folder = Path(current_app.instance_path) / "outbox"
    return [folder / f"{i}{suffix}" for i in message_ids for suffix in (".eml", ".eml.partial")]


def delete_files(paths):
    """Delete the files a committed anonymisation left behind; return how many there were."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


# The purge


def ended_screening_ids(days, now=None):
    """Return the ids of the screenings that ended more than `days` days ago (a film whose
    running time is not known is taken to last calendar.DEFAULT_RUNTIME)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    rows = db.session.execute(
        sa.select(Screening.id, Screening.starts_at, Screening.runtime_minutes).where(Screening.starts_at < cutoff)
    ).all()
    return [row.id for row in rows if row.starts_at + _running_time(row.runtime_minutes) <= cutoff]


def _running_time(minutes):
    return timedelta(minutes=minutes) if minutes else DEFAULT_RUNTIME


@dataclass
class PurgeReport:
    """What a purge did (or, in a dry run, would do)."""

    days: int
    screenings: int = 0  # screenings old enough
    done: Anonymised = field(default_factory=Anonymised)
    previews: int = 0  # expired guest-list previews removed from instance/imports/
    batches: int = 0
    longest_batch: float = 0.0  # seconds: the longest a batch held the write lock
    dry_run: bool = False

    @property
    def did_anything(self):
        d = self.done
        return bool(d.registrations or d.messages or d.checkins or d.files or self.previews)


def pending(screening_ids):
    """Count what a purge of these screenings would change: an Anonymised."""
    result = Anonymised()
    for chunk in _chunks(screening_ids):
        in_chunk = _R.screening_id.in_(chunk)
        result.registrations += db.session.scalar(sa.select(sa.func.count()).where(in_chunk, _still_personal()))
        result.messages += db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage.__table__.join(Registration.__table__))
            .where(in_chunk, _message_needs_work()))
        result.checkins += db.session.scalar(
            sa.select(sa.func.count()).where(_C.screening_id.in_(chunk), _C.scanned_code != ""))
    return result


def purge(days, dry_run=False, batch=BATCH, now=None, on_progress=None):
    """Anonymise the personal data of the screenings that ended more than `days` days ago.

    Keeps every count: seats, statuses, check-ins, times. Runs in batches of `batch`
    registrations, each in its own write transaction; `on_progress(n)` is called after each
    with the registrations it anonymised. Idempotent. Returns a PurgeReport (in a dry run, of
    what would be done, with nothing changed). Audited as privacy.purge when it changed anything.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    now = now or utcnow()
    report = PurgeReport(days=days, dry_run=dry_run)
    screening_ids = ended_screening_ids(days, now)
    report.screenings = len(screening_ids)
    if dry_run:
        report.done = pending(screening_ids)
        report.previews = len(_stale_previews())
        return report
    for chunk in _chunks(screening_ids):
        in_chunk = _R.screening_id.in_(chunk)
        last = 0
        while True:
            # Keyset: each batch starts after the last one, never rescanning the rows done.
            ids = db.session.scalars(
                sa.select(_R.id).where(in_chunk, _R.id > last, _still_personal()).order_by(_R.id).limit(batch)).all()
            if not ids:
                break
            last = ids[-1]
            started = time.monotonic()
            with write_transaction() as session:
                done = anonymise(session, ids, now)
            report.longest_batch = max(report.longest_batch, time.monotonic() - started)
            done.files = delete_files(done.paths)
            report.done.add(done)
            report.batches += 1
            if on_progress:
                on_progress(len(ids))
        # What no registration batch reached: door-log rows of codes that matched no ticket, and
        # messages of registrations anonymised by an earlier, interrupted run.
        with write_transaction() as session:
            connection = session.connection()
            report.done.checkins += connection.execute(
                sa.update(CheckIn.__table__).where(_C.screening_id.in_(chunk), _C.scanned_code != "")
                .values(scanned_code="")).rowcount
            message_ids = _forget_messages(connection, in_chunk, now)
            report.done.messages += len(message_ids)
        report.done.files += delete_files(_outbox_files(message_ids))
    report.previews = _remove_stale_previews()
    if report.did_anything:
        with write_transaction() as session:
            d = report.done
            audit.record(session, None, "privacy.purge", None, days=days, screenings=report.screenings,
                         registrations=d.registrations, messages=d.messages, checkins=d.checkins,
                         files=d.files + report.previews)
        checkpoint()
    return report


def checkpoint():
    """SQLite: copy the write-ahead log into the database file and empty it, so that the old
    values do not linger in the -wal file (best effort: a reader may hold it open)."""
    if db.engine.dialect.name != "sqlite":
        return
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


# Guest-list previews waiting in instance/imports/ (services.imports)


def _preview_files():
    folder = Path(current_app.instance_path) / "imports"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _stale_previews():
    limit = time.time() - imports.KEEP_SECONDS
    found = []
    for path in _preview_files():
        try:
            if path.stat().st_mtime < limit:
                found.append(path)
        except OSError:
            pass
    return found


def _remove_stale_previews():
    removed = 0
    for path in _stale_previews():
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def previews_with(normalized):
    """Return [(path, uploaded at, [rows about the person])] of the kept previews that list the
    address `normalized`."""
    found = []
    for path in _preview_files():
        try:
            record = json.loads(path.read_text("utf-8"))
            rows = [row for row in record.get("rows", []) if _row_is(row, normalized)]
        except (OSError, ValueError, AttributeError, TypeError):
            continue
        if rows:
            found.append((path, record.get("created"), rows))
    return found


def _row_is(row, normalized):
    guest = row.get("guest") or {}
    if guest.get("email_normalized") == normalized:
        return True
    try:
        return clean_email(row.get("email") or "")[1] == normalized
    except ValueError:
        return False
