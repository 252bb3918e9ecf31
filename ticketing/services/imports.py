"""Guest lists from CSV files: read, check every row, preview, then add all the guests at once.

Nothing is written to the database until the organizer confirms. Between the preview and the
confirmation the checked rows wait on the server, in instance/imports/<token>.json (owned by the
uploading user, deleted when used and after a day), never in the browser's cookie.
"""
import csv
import io
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import InvalidInputError, NotFoundError, TicketingError
from ..extensions import db
from ..models import Registration, Screening
from . import guests, questions

MAX_BYTES = 2 * 1024 * 1024  # about 25,000 typical rows
MAX_ROWS = 20000
KEEP_SECONDS = 24 * 3600
DELIMITERS = (",", ";", "\t")
# Header names, casefolded, in English, French and Dutch.
HEADERS = {
    "name": {"name", "full name", "nom", "nom complet", "naam", "volledige naam"},
    "email": {"email", "e-mail", "e mail", "mail", "courriel", "adresse e-mail", "e-mailadres", "emailadres"},
    "seats": {"seats", "seat", "places", "place", "plaatsen", "plaats"},
    "note": {"note", "notes", "remarque", "commentaire", "opmerking", "notitie"},
    "language": {"language", "lang", "langue", "taal", "тіл", "язык"},
}
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


class ImportFileError(TicketingError):
    """A file that cannot be read as a guest list at all (no row-by-row preview)."""

    code = "import_file"


class ImportExpiredError(TicketingError):
    code = "import_expired"
    message = _l("This import is not available: it was confirmed already, or it expired. Please upload the file again.")


@dataclass
class RowResult:
    """One row of the file: its number (as in a spreadsheet, the header is row 1), values, errors."""

    number: int
    name: str
    email: str
    seats: str
    note: str
    language: str = ""
    answers: dict = field(default_factory=dict)  # "q<id>" -> cell, for the organizers' questions
    errors: dict = field(default_factory=dict)  # field -> message
    guest: dict | None = None  # the checked values, when the row is good


@dataclass
class Preview:
    """What the file would add: every row, the file's own problems, and the counts."""

    rows: list
    encoding: str
    delimiter: str
    ignored_columns: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # messages about the whole file (seats, ...)
    seats_free: int = 0

    @property
    def bad_rows(self):
        """The rows with at least one error."""
        return [row for row in self.rows if row.errors]

    @property
    def seats(self):
        """The seats the good rows ask for."""
        return sum(row.guest["seats"] for row in self.rows if row.guest)

    @property
    def is_ok(self):
        """Whether the list may be confirmed: rows, none bad, and no problem with the whole file."""
        return bool(self.rows) and not self.bad_rows and not self.problems

    @property
    def good_rows(self):
        """The rows without an error: the guests that may be added."""
        return [row for row in self.rows if row.guest and not row.errors]

    @property
    def can_skip_bad(self):
        """Whether the organizer may add the good rows and skip the bad ones: some of each, and
        no problem with the whole list (the seats are counted on the good rows only)."""
        return bool(self.bad_rows) and bool(self.good_rows) and not self.problems


def decode(data):
    """Return (text, encoding name) of an uploaded file, or raise ImportFileError."""
    if not data or not data.strip():
        raise ImportFileError(_("The file is empty. Please choose the CSV file of the guest list."))
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is too large: at most %(mb)d MB. Please split it.", mb=MAX_BYTES // (1024 * 1024)))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("This file is in UTF-16. Please save it as “CSV UTF-8” and upload it again."))
    if b"\x00" in data:
        raise ImportFileError(_("This is not a CSV text file. Please save the guest list as CSV and upload that."))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV" in this Western European code page.
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise ImportFileError(_("This file's characters cannot be read. Please save it as “CSV UTF-8”.")) from None


def _header_field(cell):
    text = " ".join(cell.replace("\ufeff", "").replace("_", " ").split()).casefold()
    for name, spellings in HEADERS.items():
        if text in spellings:
            return name
    return None


def _sniff(text):
    """Pick the delimiter that makes the first line a header with the most known columns."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best = max(DELIMITERS, key=lambda d: (sum(_header_field(cell) is not None for cell in next(csv.reader([first], delimiter=d), [])), first.count(d)))
    return best


def read_rows(text, asked=()):
    """Return (delimiter, columns, ignored headers, [(row number, cells)]) or raise ImportFileError.
    A column named as one of the `asked` questions (its label, in any of its languages) answers
    it: its column is "q<id>"."""
    try:  # the first line is read twice: to pick the delimiter, then with the rest
        delimiter = _sniff(text)
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    except csv.Error as error:  # a field longer than the csv module reads, say
        raise ImportFileError(_("This file is not a readable CSV file (%(error)s).", error=error)) from None
    numbered = [(number, cells) for number, cells in enumerate(records, start=1) if any(c.strip() for c in cells)]
    if not numbered:
        raise ImportFileError(_("The file is empty. Please choose the CSV file of the guest list."))
    header_number, header = numbered[0]
    named = questions.by_label(asked)
    columns = [_header_field(cell) or (f"q{named[key].id}" if (key := " ".join(cell.split()).casefold()) in named
                                       else None) for cell in header]
    known = [c for c in columns if c]
    if "name" not in known:
        # The column names are what the file must hold: they stay as they are in every language.
        raise ImportFileError(_(
            "The first row must name the columns: %(columns)s (in any order; %(others)s are understood "
            "too). No “%(name)s” column was found.",
            columns="name, email, seats, note", others="nom/naam, courriel/e-mail, places/plaatsen", name="name",
        ))
    if len(known) != len(set(known)):
        raise ImportFileError(_("Two columns of the first row have the same meaning. Please keep one of each."))
    if len(numbered) == 1:
        raise ImportFileError(_("The file has no guest rows: only the row of column names was found."))
    if len(numbered) - 1 > MAX_ROWS:
        raise ImportFileError(_("The file has more than %(n)d guests. Please split it.", n=MAX_ROWS))
    ignored = [cell for cell, column in zip(header, columns) if column is None and cell.strip()]
    return delimiter, columns, ignored, numbered[1:]


def build_preview(screening_id, data, on_rows=None, default_language=None):
    """Read and check an uploaded guest list against a screening; write nothing.

    `on_rows(n)` is told as rows are checked (a progress bar); a row without a language gets
    `default_language` (the uploader's). Returns a Preview.
    Raises ImportFileError for a file that is not a guest list, NotFoundError.
    """
    screening = db.session.get(Screening, screening_id)
    if screening is None:
        raise NotFoundError()
    text, encoding = decode(data)
    asked = questions.asked(screening_id)
    delimiter, columns, ignored, records = read_rows(text, asked)
    preview = Preview([], encoding, delimiter, ignored)
    first_seen = {}
    for index, (number, cells) in enumerate(records, start=1):
        preview.rows.append(_check_row(number, cells, columns, first_seen, default_language, asked))
        if on_rows and index % 100 == 0:
            on_rows(100)
    if on_rows and len(records) % 100:
        on_rows(len(records) % 100)
    _mark_registered(screening_id, preview.rows)
    preview.seats_free = max(screening.capacity - screening.seats_taken, 0)
    if screening.is_cancelled:
        preview.problems.append(_("This screening is cancelled: guests cannot be added."))
    if preview.seats > preview.seats_free:
        preview.problems.append(_(
            "The guests need %(seats)d seats, but only %(free)d are free (held seats included). "
            "Raise the capacity or shorten the list.", seats=preview.seats, free=preview.seats_free,
        ))
    return preview


def _check_row(number, cells, columns, first_seen, default_language=None, asked=()):
    values = {"name": "", "email": "", "seats": "", "note": "", "language": ""}
    answers = {}
    for column, cell in zip(columns, cells):
        if column and column.startswith("q"):
            answers[column] = cell
        elif column:
            values[column] = cell
    row = RowResult(number, **values, answers=answers)
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
        row.errors["row"] = _("This row has more cells than the header: is a comma or semicolon in a name missing its quotes?")
        return row
    try:
        guest = guests.clean_guest(values["name"], values["email"], values["seats"], values["note"],
                                   values["language"], default_language)
    except InvalidInputError as error:
        row.errors.update({key: str(message) for key, message in error.fields.items()})
        return row
    try:  # the organizers' questions, as the form asks them: several choices split at ";"
        guest = replace(guest, answers={str(qid): value for qid, value in questions.clean_answers(asked, {
            name: [part.strip() for part in cell.split(";") if part.strip()] if _kind(asked, name) == "choices" else cell
            for name, cell in answers.items()}).items()})
    except InvalidInputError as error:
        labels = {questions.field_name(q): q.label for q in asked}
        row.errors.update({labels[key]: str(message) for key, message in error.fields.items()})
        return row
    if guest.email_normalized:
        if guest.email_normalized in first_seen:
            row.errors["email"] = _("The same e-mail address is on row %(row)d.", row=first_seen[guest.email_normalized])
            return row
        first_seen[guest.email_normalized] = number
    row.guest = asdict(guest)
    return row


def _kind(asked, name):
    return next((q.kind for q in asked if questions.field_name(q) == name), None)


def _mark_registered(screening_id, rows):
    """Mark the rows whose e-mail address already has an active registration for the screening."""
    by_email = {row.guest["email_normalized"]: row for row in rows if row.guest and row.guest["email_normalized"]}
    emails = list(by_email)
    for start in range(0, len(emails), 500):
        found = db.session.scalars(
            sa.select(Registration.email_normalized).where(
                Registration.screening_id == screening_id,
                Registration.status != "cancelled",
                Registration.email_normalized.in_(emails[start:start + 500]),
            )
        ).all()
        for email in found:
            row = by_email[email]
            row.errors["email"] = _("This e-mail address is already registered for this screening.")
            row.guest = None


def _folder():
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(token):
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise ImportExpiredError()
    return _folder() / f"{token}.json"


def save_preview(preview, screening_id, user_id, filename=""):
    """Keep a preview on the server for its confirmation; return its token."""
    _remove_stale()
    token = secrets.token_urlsafe(24)
    record = {
        "user_id": user_id, "screening_id": screening_id, "created": time.time(), "filename": filename[:200],
        "encoding": preview.encoding, "delimiter": preview.delimiter, "ignored_columns": preview.ignored_columns,
        "problems": preview.problems, "seats_free": preview.seats_free,
        "rows": [asdict(row) for row in preview.rows],
    }
    path = _path(token)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, ensure_ascii=False))
    os.replace(temporary, path)
    return token


def load_preview(token, screening_id, user_id):
    """Return (Preview, file name) kept under `token` for this user and screening, or raise ImportExpiredError."""
    path = _path(token)
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        raise ImportExpiredError() from None
    if record["user_id"] != user_id or record["screening_id"] != screening_id or _stale(record["created"]):
        raise ImportExpiredError()
    preview = Preview(
        [RowResult(**row) for row in record["rows"]], record["encoding"], record["delimiter"],
        record["ignored_columns"], record["problems"], record["seats_free"],
    )
    return preview, record["filename"]


def confirm(token, screening_id, user_id, skip_bad=False):
    """Add the previewed guests, all or none; the token works once. Returns the registrations.
    With `skip_bad`, the organizer chose to add the good rows and skip the ones with errors.

    Raises ImportExpiredError, ImportFileError (the preview had errors, and skipping them was not
    chosen or not possible), and what guests.add_guests raises (NoSeatsError,
    AlreadyRegisteredError, ScreeningCancelledError).
    """
    preview, _filename = load_preview(token, screening_id, user_id)
    if not (preview.is_ok or (skip_bad and preview.can_skip_bad)):
        raise ImportFileError(_("This list has errors: correct the file and upload it again."))
    path = _path(token)
    claimed = path.with_suffix(f".{secrets.token_hex(4)}.claimed")
    try:
        os.rename(path, claimed)  # one confirmation wins, even if the button is pressed twice
    except FileNotFoundError:
        raise ImportExpiredError() from None
    try:
        added = guests.add_guests(screening_id, [guests.Guest(**row.guest) for row in preview.good_rows], user_id=user_id)
    except BaseException:
        os.rename(claimed, path)  # nothing was written: the organizer may try again
        raise
    claimed.unlink(missing_ok=True)
    return added


def add_previewed(preview, screening_id, user_id=None):
    """Add the guests of an error-free preview, all or none (the command line's path)."""
    if not preview.is_ok:
        raise ImportFileError(_("This list has errors: correct the file first."))
    return guests.add_guests(screening_id, [guests.Guest(**row.guest) for row in preview.rows], user_id=user_id)


def count_records(data):
    """Return how many guest rows a file seems to hold (for a progress bar), or 0."""
    try:
        return len(read_rows(decode(data)[0])[3])
    except TicketingError:
        return 0


def discard(token):
    """Forget a kept preview."""
    try:
        _path(token).unlink(missing_ok=True)
    except ImportExpiredError:
        pass


def _stale(created):
    return time.time() - created > KEEP_SECONDS


def _remove_stale():
    for path in _folder().iterdir():
        try:
            if time.time() - path.stat().st_mtime > KEEP_SECONDS:
                path.unlink(missing_ok=True)
        except OSError:
            pass
