"""Exports of attendees and check-ins, for one screening or a whole event, as CSV or XLSX.

Rows are read in chunks (`yield_per`: a server-side cursor on PostgreSQL), turned into cells
and written out one chunk at a time, so that 100,000 registrations never sit in memory.

Times are shown in the event's time zone, named in the column header. CSV writes them as text
"YYYY-MM-DD HH:MM:SS"; XLSX writes real date cells (Excel has no time zones, so the cell holds
the local time) that sort and filter as dates.

Formula injection: a spreadsheet runs a cell that starts with =, +, -, @ (and some also after a
tab or a carriage return) as a formula, so a name like "=HYPERLINK(...)" could act when the
file is opened. Every text cell that starts with one of those characters gets a leading
apostrophe ("'=1+1"); the apostrophe shows in the cell. Numbers and dates are never touched.
"""
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import NotFoundError
from ..extensions import db
from ..models import CheckIn, Device, Event, Registration, Screening, Ticket, User
from . import questions
from .tickets import short_code

KINDS = ("attendees", "checkins")
FORMATS = ("csv", "xlsx")
CHUNK = 2000  # rows fetched from the database at a time
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The XLSX sheet's name (at most 31 characters, none of []:*?/\).
SHEET_NAMES = {"attendees": _l("Attendees"), "checkins": _l("Checkins")}


@dataclass
class Scope:
    """What an export covers: one screening of an event, or every screening of it."""

    event: Event
    screenings: list
    screening: Screening | None = None
    # The event's own questions, removed ones too: a column each in an attendee export.
    questions: list = field(default_factory=list)

    @property
    def tz(self):
        return self.event.tz


def screening_scope(screening_id):
    """Return the Scope of one screening. Raises NotFoundError."""
    screening = db.session.get(Screening, screening_id)
    if screening is None:
        raise NotFoundError(_("No screening has this id."))
    return Scope(screening.event, [screening], screening, questions.of_event(screening.event_id, with_removed=True))


def event_scope(event_id=None, slug=None):
    """Return the Scope of a whole event, found by id or slug. Raises NotFoundError."""
    if slug is not None:
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
    else:
        event = db.session.get(Event, event_id)
    if event is None:
        raise NotFoundError(_("No event has this id.") if slug is None else _("No event has the slug %(slug)r.", slug=slug))
    return Scope(event, list(event.screenings), questions=questions.of_event(event.id, with_removed=True))


def neutralize(value):
    """Return text that no spreadsheet takes for a formula: a leading apostrophe if needed."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def header(kind, scope):
    """Return the column titles of an export of `kind`; time columns name the time zone.

    The titles are for people: in the language of the organizer who exports (English from the
    command line). The guest import reads its own column names (services.imports.HEADERS).
    """
    zone = scope.event.timezone
    if kind == "attendees":
        return [str(title) for title in (
            _("Registration id"), _("Screening"), _("Starts at (%(zone)s)", zone=zone), _("Name"), _("Email"),
            _("Seats"), _("Status"), _("Source"), _("Note"), _("Signed up at (%(zone)s)", zone=zone), _("Ticket"),
            _("Admitted"), _("First admitted at (%(zone)s)", zone=zone), _("Cancel reason"),
        )] + [neutralize(question.label) for question in getattr(scope, "questions", ())]
    return [str(title) for title in (
        _("Scanned at (%(zone)s)", zone=zone), _("Screening"), _("Ticket"), _("Name"), _("Result"), _("Reason"),
        _("Seats"), _("Staff e-mail"), _("Device"), _("Let in offline"), _("Conflict"),
    )]


def count_rows(kind, scope):
    """Return how many rows an export of `kind` holds (for a progress bar)."""
    ids = [s.id for s in scope.screenings]
    model = Registration if kind == "attendees" else CheckIn
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.screening_id.in_(ids)))


def rows(kind, scope):
    """Yield the rows of an export of `kind`: plain values, times as naive local datetimes.

    Screening by screening in starting order; within one, in the order of sign-up or scan.
    """
    asked = scope.questions if kind == "attendees" else []
    for screening in scope.screenings:
        local_start = _local(screening.starts_at, scope.tz)
        if kind == "attendees":
            query = _attendee_query(screening.id)
            answered = questions.answers_by_registration(screening.id)  # one column per question
        else:
            query = _checkin_query(screening.id)
        result = db.session.execute(query.execution_options(yield_per=CHUNK))
        for row in result:
            if kind == "attendees":
                yield (
                    row.id, screening.title, local_start, row.name, row.email, row.seats,
                    # A booking whose address is not confirmed yet (holds.py) holds no ticket.
                    "unconfirmed" if row.hold_until is not None and row.status != "cancelled" else row.status,
                    row.source, row.note, _local(row.created_at, scope.tz),
                    short_code(row.code) if row.code else "", row.admitted or 0,
                    _local(row.first_admitted_at, scope.tz), row.cancel_reason,
                    *(answered.get(row.id, {}).get(question.id, "") for question in asked),
                )
            else:
                ticket = short_code(row.code) if row.code else row.scanned_code
                yield (
                    _local(row.scanned_at, scope.tz), screening.title, ticket, row.name or "",
                    row.result, row.reason, row.seats, row.email or "", row.device or "",
                    # Decided on a device without the network: the people it let in; a conflict
                    # when that was more than the ticket had left when the scan reached the server.
                    "" if row.offline_seats is None else row.offline_seats, "conflict" if row.is_conflict else "",
                )


def _attendee_query(screening_id):
    r, t = Registration.__table__.c, Ticket.__table__.c
    return (
        sa.select(r.id, r.name, r.email, r.seats, r.status, r.source, r.note, r.created_at,
                  r.cancel_reason, r.hold_until, t.code, t.admitted, t.first_admitted_at)
        .select_from(Registration.__table__.outerjoin(Ticket.__table__, t.registration_id == r.id))
        .where(r.screening_id == screening_id)
        .order_by(r.id)
    )


def _checkin_query(screening_id):
    c, t, r = CheckIn.__table__.c, Ticket.__table__.c, Registration.__table__.c
    joined = (
        CheckIn.__table__.outerjoin(Ticket.__table__, c.ticket_id == t.id)
        .outerjoin(Registration.__table__, t.registration_id == r.id)
        .outerjoin(User.__table__, c.staff_user_id == User.__table__.c.id)
        .outerjoin(Device.__table__, c.device_id == Device.__table__.c.id)
    )
    return (
        sa.select(c.scanned_at, c.scanned_code, c.result, c.reason, c.seats, t.code, r.name,
                  User.__table__.c.email, Device.__table__.c.name.label("device"), c.offline_seats, c.is_conflict)
        .select_from(joined)
        .where(c.screening_id == screening_id)
        .order_by(c.scanned_at, c.id)
    )


def _local(value, tz):
    """An aware UTC time as a naive local time of the event (None stays None)."""
    return value.astimezone(tz).replace(tzinfo=None, microsecond=0) if value else None


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return neutralize(str(value))


def csv_chunks(kind, scope, on_rows=None):
    """Yield the export as CSV bytes, a chunk at a time: UTF-8 with a BOM (so that Excel reads
    the names right), CRLF line ends, cells quoted by the csv module as needed.

    `on_rows(n)` is called after each chunk of n rows (a progress bar).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header(kind, scope))
    yield "\ufeff".encode() + _drain(buffer)
    pending = 0
    for row in rows(kind, scope):
        writer.writerow([_csv_cell(value) for value in row])
        pending += 1
        if pending == CHUNK:
            yield _drain(buffer)
            if on_rows:
                on_rows(pending)
            pending = 0
    yield _drain(buffer)
    if on_rows and pending:
        on_rows(pending)


def _drain(buffer):
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data


def write_xlsx(kind, scope, target, on_rows=None):
    """Write the export as an XLSX workbook to `target` (a path or a binary file).

    XlsxWriter's constant-memory mode writes each row to a temporary file as soon as the next
    one starts, with inline strings, so memory stays flat. Text is written as text, never as a
    formula, URL or number (control characters, which XML cannot hold, are escaped by
    XlsxWriter); times as date cells.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {
        "constant_memory": True,
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "default_date_format": "yyyy-mm-dd hh:mm:ss",
    })
    try:
        sheet = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", str(SHEET_NAMES[kind])).strip()[:31] or kind)
        sheet.freeze_panes(1, 0)
        titles = header(kind, scope)
        sheet.write_row(0, 0, titles, book.add_format({"bold": True}))
        pending = 0
        for number, row in enumerate(rows(kind, scope), start=1):
            sheet.write_row(number, 0, [neutralize(value) for value in row])
            pending += 1
            if on_rows and pending == CHUNK:
                on_rows(pending)
                pending = 0
        if on_rows and pending:
            on_rows(pending)
    finally:
        book.close()


def file_name(kind, scope, extension, today=None):
    """Return (ASCII file name, UTF-8 file name) for an export: slug, screening id and date.

    A screening's file carries its local date; an event's carries the day of the export.
    """
    if scope.screening is not None:
        day = scope.screening.starts_at.astimezone(scope.tz).date()
        middle = f"screening-{scope.screening.id}-{day.isoformat()}"
    else:
        day = today or datetime.now(scope.tz).date()
        middle = f"all-{day.isoformat()}"
    full = f"{scope.event.slug}-{middle}-{kind}.{extension}"
    slug = unicodedata.normalize("NFKD", scope.event.slug).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", slug).strip("-") or "event"
    return f"{slug}-{middle}-{kind}.{extension}", full


def content_disposition(kind, scope, extension):
    """Return a Content-Disposition header value: an ASCII filename and an RFC 5987 filename*."""
    ascii_name, full = file_name(kind, scope, extension)
    return f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(full, safe="")}'
