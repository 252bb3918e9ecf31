"""The organizer's view of who signed up: search, filters, keyset pages, and a registration's history.

Pages are read by keyset ("after this row's sort key and id"), never by OFFSET, so that page 500
of a 100,000-row list costs what page 1 costs: the screening's name or sign-up index
(ix_registrations_name, ix_registrations_created) gives the rows in order. A list over several
screenings (a whole event) reads each screening's next rows through its own index and merges them.
"""
import base64
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..errors import InvalidInputError
from ..extensions import db
from ..models import AuditEntry, CheckIn, Device, OutboxMessage, Registration, Screening, Ticket, User
from . import tickets
from .inputs import has_hidden_characters
from .mailer import error_text

SEARCH_MAX = 200
CODE_PREFIX_MIN = 4
LIMIT_MAX = 500
STATUSES = ("confirmed", "waitlisted", "cancelled", "checked_in", "not_in")
SOURCES = ("public", "guest", "walkin")
SORTS = ("name", "newest", "oldest", "seats")
_CODE_PREFIX = re.compile(r"[A-Z2-7]{%d,26}" % CODE_PREFIX_MIN)
_R, _T, _S = Registration.__table__.c, Ticket.__table__.c, Screening.__table__.c

# sort -> (key column, descending?). Ties are broken by id in the same direction.
_SORT_KEYS = {
    "name": (_R.name_normalized, False),
    "newest": (_R.created_at, True),
    "oldest": (_R.created_at, False),
    "seats": (_R.seats, True),
}
# Words for the codes a registration's history shows, in the reader's language.
SOURCE_WORDS = {"public": _l("public"), "guest": _l("guest"), "walkin": _l("walk-in")}
SCAN_RESULTS = {
    "admitted": _l("admitted"), "already_checked_in": _l("already checked in"),
    "not_valid": _l("not valid"), "undone": _l("undone"),
}
SCAN_REASONS = {
    "all_in": _l("all in"), "fewer_seats_left": _l("fewer seats left"), "unknown_code": _l("unknown code"),
    "other_screening": _l("other screening"), "cancelled": _l("cancelled"), "released": _l("released"),
    "waitlisted": _l("waitlisted"), "screening_cancelled": _l("screening cancelled"), "walkin": _l("walk-in"),
    "undo": _l("undo"),
}
MESSAGE_KINDS = {
    "confirmation": _l("confirmation"), "repeat_signup": _l("repeat signup"), "waitlisted": _l("waitlisted"),
    "promoted": _l("promoted"), "cancelled": _l("cancelled"), "released": _l("released"), "moved": _l("moved"),
    "screening_cancelled": _l("screening cancelled"), "announcement": _l("announcement"),
    "find_tickets": _l("tickets asked for again"),
}


def _word(words, code):
    """The reader's word for `code`, or the code with spaces when there is none."""
    return str(words.get(code) or code.replace("_", " "))


_COLUMNS = (
    _R.id, _R.screening_id, _R.name, _R.email, _R.seats, _R.status, _R.source, _R.note,
    _R.created_at, _R.cancel_reason, _R.name_normalized, _R.hold_until, _T.code, _T.admitted,
)


@dataclass
class AttendeePage:
    """One page of a list: its rows, the filter's total, and cursors for the next and previous."""

    rows: list
    total: int
    next_cursor: str | None = None
    previous_cursor: str | None = None


@dataclass
class HistoryItem:
    """One line of a registration's history."""

    at: datetime
    kind: str  # registered, scan, audit, message
    text: str
    who: str = ""
    details: dict = field(default_factory=dict)


def clean_query(q="", status="", source="", sort=""):
    """Check the list's search and filter values; return them tidied or raise InvalidInputError."""
    errors = {}
    q = q if isinstance(q, str) else ""
    if len(q) > SEARCH_MAX:
        errors["q"] = _("Please search with at most %(n)d characters.", n=SEARCH_MAX)
    elif has_hidden_characters(q):
        errors["q"] = _("The search text contains control or invisible characters. Please type it again.")
    q = " ".join(unicodedata.normalize("NFC", q).split()) if "q" not in errors else ""
    if status and status not in STATUSES:
        errors["status"] = _("Please choose a status from the list.")
    if source and source not in SOURCES:
        errors["source"] = _("Please choose a source from the list.")
    if sort and sort not in SORTS:
        errors["sort"] = _("Please choose a sort order from the list.")
    if errors:
        raise InvalidInputError(errors)
    return q, status, source, sort or "name"


def _filters(screening_id, q, status, source):
    """The WHERE clauses of one screening's rows for a search and filter."""
    where = [_R.screening_id == screening_id]
    if status in ("confirmed", "waitlisted", "cancelled"):
        where.append(_R.status == status)
    elif status == "checked_in":
        where.append(_T.admitted > 0)
    elif status == "not_in":
        where += [_R.status == "confirmed", _T.admitted == 0]
    if source:
        where.append(_R.source == source)
    if q:
        folded = q.casefold()
        pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = [_R.name_normalized.like(pattern, escape="\\"), _R.email_normalized.like(pattern, escape="\\")]
        code = tickets.normalize_code(q) or re.sub(r"[\s-]", "", q).upper()
        if _CODE_PREFIX.fullmatch(code):
            # A range on the unique code index (LIKE 'X%' cannot use it on SQLite, nor on
            # PostgreSQL outside the C collation); codes only hold A-Z and 2-7, and Z sorts last.
            upper = code + "Z" * (tickets.CODE_LENGTH - len(code))
            matches.append(_R.id.in_(sa.select(_T.registration_id).where(_T.code >= code, _T.code <= upper)))
        where.append(sa.or_(*matches))
    return where


def _encode_cursor(sort, row):
    key = row.created_at.isoformat() if sort in ("newest", "oldest") else getattr(row, _SORT_KEYS[sort][0].name)
    raw = json.dumps([sort, key, row.id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor, sort):
    """Return (key, id) from a page link's cursor, or raise InvalidInputError."""
    try:
        if len(cursor) > 1000:  # a real cursor holds a sort key of at most 400 characters
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, key, row_id = json.loads(raw.decode())
        if cursor_sort != sort or not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id < 2**31:
            raise ValueError
        if sort in ("newest", "oldest"):
            key = datetime.fromisoformat(key)
            if key.tzinfo is None:
                raise ValueError
        elif sort == "seats" and (not isinstance(key, int) or isinstance(key, bool) or not 0 < key < 2**31):
            raise ValueError
        elif sort == "name" and not isinstance(key, str):
            raise ValueError
        return key, row_id
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise InvalidInputError(
            {"page": _("This page link is out of date. Please start again from the first page.")}
        ) from None


def _after(column, descending, key, row_id, backwards):
    """Rows strictly after (key, id) in the list's order (before it when going backwards)."""
    forward = descending == backwards  # ascending order read forwards, or descending read backwards
    if forward:
        return sa.and_(column >= key, sa.or_(column > key, _R.id > row_id))
    return sa.and_(column <= key, sa.or_(column < key, _R.id < row_id))


def _order(column, descending, backwards):
    desc = descending != backwards
    return (column.desc(), _R.id.desc()) if desc else (column.asc(), _R.id.asc())


def list_registrations(screening_ids, q="", status="", sort="", after=None, limit=50, source="", before=None):
    """Return an AttendeePage of the registrations of `screening_ids` (one id or several).

    q searches the name and e-mail (casefolded substring) and the ticket code (prefix, from 4
    characters); status is confirmed, waitlisted, cancelled, checked_in or not_in; source is
    public, guest or walkin; sort is name, newest, oldest or seats. `after` (or `before`) is the
    cursor of a page link. Raises InvalidInputError for a bad search, filter or cursor.
    """
    ids = [screening_ids] if isinstance(screening_ids, int) else list(screening_ids)
    q, status, source, sort = clean_query(q, status, source, sort)
    limit = max(1, min(int(limit), LIMIT_MAX))
    column, descending = _SORT_KEYS[sort]
    backwards = before is not None and after is None
    cursor = decode_cursor(after if after is not None else before, sort) if (after or before) else None
    source_table = Registration.__table__.join(Ticket.__table__, _T.registration_id == _R.id)
    parts = []
    for screening_id in ids:
        where = _filters(screening_id, q, status, source)
        if cursor is not None:
            where.append(_after(column, descending, cursor[0], cursor[1], backwards))
        parts.append(
            sa.select(*_COLUMNS).select_from(source_table).where(*where)
            .order_by(*_order(column, descending, backwards)).limit(limit + 1)
        )
    if not parts:
        return AttendeePage([], 0)
    if len(parts) == 1:
        query = parts[0]
    else:
        # Each screening's part reads its own index; the merge sorts at most len(ids) * (limit + 1) rows.
        merged = sa.union_all(*(sa.select(part.subquery()) for part in parts)).subquery()
        merged_column = merged.c[column.name]
        desc = descending != backwards
        query = sa.select(merged).order_by(
            merged_column.desc() if desc else merged_column.asc(), merged.c.id.desc() if desc else merged.c.id.asc()
        ).limit(limit + 1)
    rows = db.session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    page = AttendeePage(rows, count_registrations(ids, q, status, source))
    if rows:
        if more or backwards:
            page.next_cursor = _encode_cursor(sort, rows[-1])
        if cursor is not None and (more or not backwards):
            page.previous_cursor = _encode_cursor(sort, rows[0])
    return page


def count_registrations(screening_ids, q="", status="", source=""):
    """Return how many registrations of `screening_ids` match the search and filter."""
    ids = [screening_ids] if isinstance(screening_ids, int) else list(screening_ids)
    total = 0
    for screening_id in ids:
        where = _filters(screening_id, q, status, source)
        table = Registration.__table__
        if status in ("checked_in", "not_in"):
            table = table.join(Ticket.__table__, _T.registration_id == _R.id)
        total += db.session.scalar(sa.select(sa.func.count()).select_from(table).where(*where))
    return total


def registration_history(registration_id):
    """Return the registration's door scans, audit entries and messages, newest first."""
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        return []
    items = [HistoryItem(registration.created_at, "registered",
                         _("Registered (%(source)s)", source=_word(SOURCE_WORDS, registration.source)),
                         _user_email(registration.created_by_id))]
    if registration.ticket is not None:
        scans = db.session.execute(
            sa.select(CheckIn, User.email, Device.name)
            .outerjoin(User, CheckIn.staff_user_id == User.id)
            .outerjoin(Device, CheckIn.device_id == Device.id)
            .where(CheckIn.ticket_id == registration.ticket.id)
        ).all()
        for scan, email, device in scans:
            who = " · ".join(part for part in (email, device) if part)
            text = _scan_text(scan)
            kind = "conflict" if scan.is_conflict else "scan"
            items.append(HistoryItem(scan.scanned_at, kind, text, who, {"screening_id": scan.screening_id}))
    entries = db.session.execute(
        sa.select(AuditEntry, User.email)
        .outerjoin(User, AuditEntry.user_id == User.id)
        .where(AuditEntry.subject_type == "registrations", AuditEntry.subject_id == registration_id)
    ).all()
    for entry, email in entries:
        items.append(HistoryItem(entry.created_at, "audit", entry.action, email or "", dict(entry.details or {})))
    messages = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.registration_id == registration_id)
    ).all()
    for message in messages:
        items.append(HistoryItem(message.created_at, "message", _message_text(message)))
    items.sort(key=lambda item: item.at, reverse=True)
    return items


def _scan_text(scan):
    """One door scan in words: its result, the seats it admitted and why, if it says; whether a
    device decided it offline, and a conflict (people let in offline beyond what the ticket had left)."""
    values = dict(result=_word(SCAN_RESULTS, scan.result), reason=_word(SCAN_REASONS, scan.reason or ""))
    if scan.seats and scan.reason:
        text = ngettext("Door: %(result)s, %(num)d seat(s) (%(reason)s)",
                        "Door: %(result)s, %(num)d seat(s) (%(reason)s)", scan.seats, **values)
    elif scan.seats:
        text = ngettext("Door: %(result)s, %(num)d seat(s)", "Door: %(result)s, %(num)d seat(s)", scan.seats, **values)
    elif scan.reason:
        text = _("Door: %(result)s (%(reason)s)", **values)
    else:
        text = _("Door: %(result)s", **values)
    if scan.is_offline:
        text += " · " + _("decided offline on the device, sent later")
    if scan.is_conflict:
        text += " · " + conflict_text(scan)
    return text


def conflict_text(scan):
    """What a conflict means, in words: how many people a device let in offline beyond the ticket."""
    beyond = max((scan.offline_seats or 0) - scan.seats, 0)
    return ngettext("Conflict: %(num)d person let in offline had no seat left on this ticket",
                    "Conflict: %(num)d people let in offline had no seats left on this ticket", beyond)


def _message_text(message):
    """An e-mail of the outbox in words: its kind, its recipient and how far it got."""
    values = dict(kind=_word(MESSAGE_KINDS, message.kind), to=message.recipient,
                  error=error_text(message.last_error))
    if message.sent_at:
        return _("E-mail “%(kind)s” to %(to)s, sent", **values)
    if message.failed_at:
        if message.last_error:
            return _("E-mail “%(kind)s” to %(to)s, not sent: %(error)s", **values)
        return _("E-mail “%(kind)s” to %(to)s, not sent: given up", **values)
    if message.attempts and message.last_error:
        return _("E-mail “%(kind)s” to %(to)s, waiting to be tried again (%(error)s)", **values)
    if message.attempts:
        return _("E-mail “%(kind)s” to %(to)s, being sent", **values)
    return _("E-mail “%(kind)s” to %(to)s, waiting to be sent", **values)


def _user_email(user_id):
    return db.session.scalar(sa.select(User.email).where(User.id == user_id)) or "" if user_id else ""
