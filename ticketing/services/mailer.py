"""The outbox's sender: claims due messages with a lease, sends them over SMTP (or, with no
MAIL_SERVER, writes them to the log and to instance/outbox/), retries with back-off, gives up
after OUTBOX_MAX_ATTEMPTS tries and lets organizers retry.

A message is claimed by one conditional UPDATE (the only pattern that is race-free on both
databases, FIELD-NOTES): several senders never hold one message at once. It is marked sent in
its own transaction right after the SMTP server accepts it; a sender killed between the two
leaves it to be sent again once its lease runs out, with the same Message-ID (at least once,
and exactly once as far as the server's acknowledgement and our commit can be made one).
"""
import logging
import os
import re
import secrets
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..database import write_transaction
from ..errors import NotFoundError, TicketingError
from ..extensions import db
from ..models import OutboxMessage, Registration, RegistrationStatus, Screening, utcnow
from . import audit, find_tickets, holds, thanks
from .mail_compose import compose, new_message_id, superseded
from .notifications import ANNOUNCEMENT


log = logging.getLogger("ticketing.mail")

_O = OutboxMessage.__table__.c
_OUTBOX = OutboxMessage.__table__
ERROR_MAX = 1000  # characters of an error kept for the organizers' page
# Why a message was given up, stored in English (the sender runs outside any request) and shown
# in the reader's language by error_text(); an SMTP server's own error is shown as it came.
STARTED = "Not sent: the screening had already begun."
SUPERSEDED = "Not sent: the registration was no longer confirmed (a later message tells the attendee)."
ABANDONED = "Given up: the sender stopped while sending it, every time."
CANCELLED_SINCE = "Not sent: the registration was cancelled after the message was written."
HOLD_OVER = "Not sent: the booking was confirmed, cancelled or not confirmed in time before it could leave."
_ERROR_WORDS = {
    STARTED: _l("Not sent: the screening had already begun."),
    SUPERSEDED: _l("Not sent: the registration was no longer confirmed (a later message tells the attendee)."),
    ABANDONED: _l("Given up: the sender stopped while sending it, every time."),
    CANCELLED_SINCE: _l("Not sent: the registration was cancelled after the message was written."),
    HOLD_OVER: _l("Not sent: the booking was confirmed, cancelled or not confirmed in time before it could leave."),
}
# Given up on purpose, not for the mail server's sake: "try every failed message again" leaves
# them (the single-message retry may still take one).
_ON_PURPOSE = (STARTED, SUPERSEDED, ABANDONED, CANCELLED_SINCE, HOLD_OVER)


class AlreadySentError(TicketingError):
    code = "already_sent"
    message = _l("This message was sent already: there is nothing to retry.")


@dataclass
class SendReport:
    """What one pass of the sender did."""

    sent: int = 0
    retrying: int = 0  # failed this time, tried again later
    given_up: int = 0
    stopped: bool = False  # the SMTP server could not be reached: the rest waits for the next pass

    @property
    def tried(self):
        return self.sent + self.retrying + self.given_up


@dataclass
class Claim:
    """A message this sender holds: its row's values at the claim."""

    id: int
    kind: str
    registration_id: int
    recipient: str
    locale: str
    attempts: int
    message_id: str
    announcement_id: int | None = None


def worker_name():
    """A name for this sender, unique among running senders: host, process and a random tag."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def backoff(attempts):
    """Seconds to wait after the `attempts`-th failed try: OUTBOX_RETRY_SECONDS, doubling, at
    most OUTBOX_RETRY_MAX_SECONDS."""
    config = current_app.config
    return min(config["OUTBOX_RETRY_SECONDS"] * 2 ** max(attempts - 1, 0), config["OUTBOX_RETRY_MAX_SECONDS"])


def _due(now):
    return sa.and_(
        _O.sent_at.is_(None), _O.failed_at.is_(None),
        sa.or_(_O.next_attempt_at.is_(None), _O.next_attempt_at <= now),
        sa.or_(_O.claimed_until.is_(None), _O.claimed_until < now),
    )


def claim_one(worker, now=None):
    """Claim the oldest due message for `worker` for OUTBOX_LEASE_SECONDS; return a Claim, or
    None when nothing is due.

    One UPDATE … WHERE <due> takes it: on SQLite the write transaction holds the database's
    write lock; on PostgreSQL the row lock serialises claimers, SKIP LOCKED lets them pass each
    other, and the repeated condition is checked again on the row as committed. The try is
    counted now, and the next one is scheduled as if this one failed, so that a sender that
    dies while sending does not make the message a busy loop; a message that has had all its
    tries that way is given up here.
    """
    config = current_app.config
    now = now or utcnow()
    pick = sa.select(_O.id).where(_due(now)).order_by(_O.id).limit(1).with_for_update(skip_locked=True)
    while True:
        with write_transaction() as session:
            row = session.execute(
                _OUTBOX.update().where(_O.id == pick.scalar_subquery(), _due(now))
                .values(claimed_until=now + timedelta(seconds=config["OUTBOX_LEASE_SECONDS"]),
                        claimed_by=worker, attempts=_O.attempts + 1)
                .returning(_O.id, _O.kind, _O.registration_id, _O.recipient, _O.locale, _O.attempts,
                           _O.message_id, _O.announcement_id)
            ).first()
            if row is None:
                return None
            values = {"next_attempt_at": now + timedelta(seconds=backoff(row.attempts))}
            if row.attempts > config["OUTBOX_MAX_ATTEMPTS"]:
                values = {"failed_at": now, "claimed_until": None,
                          "last_error": ABANDONED}
            elif row.message_id is None:
                values["message_id"] = new_message_id(row.id)
            session.execute(_OUTBOX.update().where(_O.id == row.id).values(**values))
            if "failed_at" not in values:
                return Claim(**{**row._asdict(), "message_id": values.get("message_id", row.message_id)})


def mark_sent(claim, now=None):
    """Record that the server accepted the message."""
    with write_transaction() as session:
        session.execute(_OUTBOX.update().where(_O.id == claim.id, _O.sent_at.is_(None))
                        .values(sent_at=now or utcnow(), claimed_until=None))


_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mark_failed(claim, error, now=None, final=False):
    """Record a failed try: retried after the back-off, or given up after the last try (or at
    once when `final`). Returns True if given up."""
    now = now or utcnow()
    give_up = final or claim.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    # The server's words, with any e-mail address masked: the row's recipient says whose it is,
    # and an erasure that ran while this message was being sent must not get the address back.
    values = {"last_error": _ADDRESS.sub("<address>", str(error))[:ERROR_MAX], "claimed_until": None}
    if give_up:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + timedelta(seconds=backoff(claim.attempts))
    with write_transaction() as session:
        session.execute(_OUTBOX.update().where(_O.id == claim.id, _O.sent_at.is_(None)).values(**values))
    return give_up


def error_text(stored):
    """A message's stored error for people: the sender's own reasons in the reader's language,
    a server's error text as it came."""
    return str(_ERROR_WORDS.get(stored, stored or ""))


def describe(error):
    """An SMTP or network error in words an organizer can pass on: code and server's text."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {_text(text)} ({address})" for address, (code, text) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class Unreachable(Exception):
    """The SMTP server could not be reached or dropped the connection."""


class SMTPTransport:
    """One SMTP connection per pass, opened on first use (STARTTLS and login as configured)."""

    def __init__(self, config):
        self.config = config
        self.connection = None

    def send(self, message, outbox_id):
        config = self.config
        try:
            if self.connection is None:
                connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
                if config["MAIL_USE_TLS"]:
                    connection.starttls(context=ssl.create_default_context())
                if config["MAIL_USERNAME"]:
                    connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
                self.connection = connection
            self.connection.send_message(message)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as error:
            self.close()
            raise Unreachable(describe(error)) from error

    def close(self):
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None


class FolderTransport:
    """With no MAIL_SERVER: each message goes to instance/outbox/<id>.eml, and its path to the log.

    The log never holds the recipient or the text (no personal data in logs). `preview(message,
    path)`, when given, shows the message itself: `flask outbox` passes one in development, the
    developer's console standing in for a mailbox.
    """

    def __init__(self, folder, preview=None):
        self.folder = Path(folder)
        self.preview = preview

    def send(self, message, outbox_id):
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{outbox_id}.eml"
        partial = path.with_suffix(".eml.partial")
        partial.write_bytes(message.as_bytes())
        partial.replace(path)  # a reader never sees half a file
        log.info("E-mail %s not sent (no MAIL_SERVER set): kept in %s", outbox_id, path)
        if self.preview:
            self.preview(message, path)

    def close(self):
        pass


def transport(preview=None):
    """The SMTP server of MAIL_SERVER, or the folder instance/outbox/ when none is set."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return SMTPTransport(config)
    return FolderTransport(Path(current_app.instance_path) / "outbox", preview)


def _load(registration_id):
    return db.session.scalars(
        sa.select(Registration).where(Registration.id == registration_id)
        .options(selectinload(Registration.ticket),
                 selectinload(Registration.screening).selectinload(Screening.event))
    ).one()


def send_due(limit=100, now=None, worker=None, stop=None, preview=None):
    """Send up to `limit` due messages, one claim at a time; return a SendReport.

    `now` fixes the clock (tests); by default each step reads it. `stop()`, if given, is asked
    before each claim: a sender told to stop finishes the message in hand, then returns. A message about a screening
    that has begun is given up unsent. When the SMTP server cannot be reached, the message in
    hand is failed (with back-off) and the pass stops: the others wait untouched. With no
    MAIL_SERVER, `preview(message, path)` is shown each message kept (FolderTransport).
    """
    worker = worker or worker_name()
    report = SendReport()
    sender = transport(preview)
    try:
        while report.tried < limit and not (stop and stop()):
            claim = claim_one(worker, now)
            if claim is None:
                break
            at = now or utcnow()
            try:
                registration = _load(claim.registration_id)
                pointless = _pointless(claim.kind, registration, at)
                if pointless:
                    mark_failed(claim, pointless, now, final=True)
                    report.given_up += 1
                    continue
                message = compose(claim, registration, claim.message_id, at)
                db.session.rollback()  # no read transaction held open while the server talks
                sender.send(message, claim.id)
            except Unreachable as error:
                _count(report, mark_failed(claim, error, now))
                report.stopped = True
                break
            except Exception as error:  # noqa: BLE001: any failure is the message's, recorded
                db.session.rollback()
                # By id, kind and the error's type: never the address, nor the error's text, which
                # may hold it (no personal data in logs); the organizers' page shows last_error.
                log.warning("E-mail %s (%s) failed: %s", claim.id, claim.kind, type(error).__name__)
                _count(report, mark_failed(claim, describe(error), now))
                continue
            mark_sent(claim, now)
            report.sent += 1
    finally:
        sender.close()
        db.session.rollback()
    return report


def _count(report, given_up):
    if given_up:
        report.given_up += 1
    else:
        report.retrying += 1


def retry(outbox_id, user_id=None, now=None):
    """Send a waiting or given-up message at the next pass, with a fresh round of tries.

    Raises NotFoundError, AlreadySentError.
    """
    with write_transaction() as session:
        message = session.get(OutboxMessage, outbox_id)
        if message is None:
            raise NotFoundError(_("No message has this id."))
        if message.sent_at is not None:
            raise AlreadySentError()
        audit.record(session, user_id, "outbox.retry", message, attempts=message.attempts,
                     was_given_up=message.failed_at is not None)
        message.failed_at = None
        message.next_attempt_at = now or utcnow()
        message.attempts = 0
        return message


def _pointless(kind, registration, at):
    """Why a message is no longer worth sending, or None. An organizer's message goes to whoever
    still holds a registration, even after the start ("thank you for coming"), and a Find my
    ticket list lists what the address holds when it leaves (the person may be at the door of a
    film that has begun), and thanks go after the film; the other messages lose their point once the screening has begun or
    the ticket they carry is gone."""
    if kind == ANNOUNCEMENT:
        return CANCELLED_SINCE if registration.status == RegistrationStatus.CANCELLED.value else None
    if kind == find_tickets.KIND:  # a list of the address's bookings, read as it leaves: one may have begun
        return None
    if kind == thanks.KIND:  # after the film, by its nature
        return None
    if registration.screening.starts_at <= at:
        return STARTED
    if kind == "confirm_email":  # a link to confirm: pointless once confirmed, cancelled or run out
        return None if registration.is_held and not holds.ran_out(registration, at) else HOLD_OVER
    return SUPERSEDED if superseded(kind, registration) else None


def retry_failed(user_id=None, now=None):
    """Give every message the mail server failed a fresh round of tries at the next pass (after
    an outage, say); return how many. Messages given up on purpose stay. One UPDATE, audited."""
    now = now or utcnow()
    with write_transaction() as session:
        retried = len(session.execute(
            _OUTBOX.update().where(_O.failed_at.is_not(None), _O.sent_at.is_(None), _O.last_error.not_in(_ON_PURPOSE))
            .values(failed_at=None, next_attempt_at=now, attempts=0, claimed_until=None)
            .returning(_O.id)
        ).all())
        if retried:
            audit.record(session, user_id, "outbox.retry_failed", None, messages=retried)
        return retried


def counts(now=None):
    """Messages by state: waiting (due now or later), being sent, failed, sent."""
    now = now or utcnow()
    sending = sa.and_(_O.sent_at.is_(None), _O.failed_at.is_(None), _O.claimed_until >= now)
    row = db.session.execute(sa.select(
        sa.func.count().filter(_O.sent_at.is_(None), _O.failed_at.is_(None)),
        sa.func.count().filter(sending),
        sa.func.count().filter(_O.failed_at.is_not(None)),
        sa.func.count().filter(_O.sent_at.is_not(None)),
        sa.func.min(_O.created_at).filter(_O.sent_at.is_(None), _O.failed_at.is_(None)),
    )).one()
    return {"waiting": row[0] - row[1], "sending": row[1], "failed": row[2], "sent": row[3], "oldest_waiting": row[4]}


def listing(state, limit=50):
    """Messages in `state` (waiting, failed or sent) with their registration, newest first for
    failed and sent, oldest first for waiting."""
    query = sa.select(OutboxMessage).options(
        selectinload(OutboxMessage.registration).selectinload(Registration.screening)
    ).limit(limit)
    if state == "waiting":
        query = query.where(_O.sent_at.is_(None), _O.failed_at.is_(None)).order_by(_O.id)
    elif state == "failed":
        query = query.where(_O.failed_at.is_not(None)).order_by(_O.failed_at.desc(), _O.id.desc())
    else:
        query = query.where(_O.sent_at.is_not(None)).order_by(_O.sent_at.desc(), _O.id.desc())
    return db.session.scalars(query).all()
