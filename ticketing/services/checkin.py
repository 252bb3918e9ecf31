"""The door: admitting tickets (R2) and logging every scan (R5).

A ticket admits as many people as it has seats. Admission is one conditional UPDATE that can
only succeed while enough seats remain unadmitted, so that any number of scans of one ticket,
from any number of doors and processes, never admits more people than it holds. Every scan,
good or bad, writes a row to the check-in log in the same transaction.
"""
from dataclasses import dataclass, field
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError, UndoRefusedError
from ..extensions import db
from ..models import CheckIn, Device, Registration, Screening, Ticket, User, utcnow
from . import tickets
from .inputs import has_hidden_characters

ADMITTED, ALREADY, NOT_VALID, UNDONE = "admitted", "already_checked_in", "not_valid", "undone"
_T, _R, _S = Ticket.__table__.c, Registration.__table__.c, Screening.__table__.c

_FIND_TICKET = (
    sa.select(
        _T.id, _T.code, _T.seats, _T.admitted, _T.first_admitted_at, _T.last_admitted_at,
        _R.name, _R.status, _R.cancel_reason, _R.screening_id,
        _S.title, _S.starts_at, _S.is_cancelled,
    )
    .select_from(Ticket.__table__.join(Registration.__table__).join(Screening.__table__))
    .where(_T.code == sa.bindparam("code"))
)
# The registration's row is locked while a ticket is judged and admitted, so that a cancellation
# running at the same moment either waits for the admission or is seen by it (PostgreSQL; on
# SQLite the write transaction already runs alone).
_FIND_TICKET_LOCKED = _FIND_TICKET.with_for_update(of=Registration.__table__)
_ADMIT = (
    sa.update(Ticket.__table__)
    .where(_T.id == sa.bindparam("ticket_id"), _T.admitted + sa.bindparam("n") <= _T.seats)
    .values(
        admitted=_T.admitted + sa.bindparam("n"),
        first_admitted_at=sa.func.coalesce(_T.first_admitted_at, sa.bindparam("now")),
        last_admitted_at=sa.bindparam("now"),
    )
)

MESSAGES = {
    (ADMITTED, ""): _l("Admitted."),
    (ALREADY, "all_in"): _l("Already checked in: everyone on this ticket is in."),
    (ALREADY, "fewer_seats_left"): _l("Fewer people are left on this ticket than asked for."),
    (NOT_VALID, "unknown_code"): _l("Not a ticket of this festival."),
    (NOT_VALID, "other_screening"): _l("This ticket is for another screening."),
    (NOT_VALID, "cancelled"): _l("This registration was cancelled."),
    (NOT_VALID, "released"): _l("Not claimed in time: the seat went to someone else."),
    (NOT_VALID, "waitlisted"): _l("This registration is on the waiting list, without a seat."),
    (NOT_VALID, "screening_cancelled"): _l("This screening is cancelled."),
}


@dataclass
class Verdict:
    """What the door shows: `result`, a `reason`, the ticket's details and its earlier scans."""

    result: str
    reason: str
    checkin_id: int
    admitted_now: int = 0
    ticket: dict | None = None
    earlier: list = field(default_factory=list)


def check_in(code, screening_id, seats=None, user_id=None, device_id=None, scanned_at=None):
    """Scan `code` at the door of `screening_id`; admit `seats` people (default: all not yet in).

    Returns a Verdict: admitted; already_checked_in (everyone is in, or fewer seats remain than
    asked for); not_valid with a reason (unknown_code, other_screening, cancelled, waitlisted,
    screening_cancelled). Raises InvalidInputError for a seat count that is not a positive
    whole number, NotFoundError for an unknown screening.
    """
    if seats is not None and (isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= 1000):
        raise InvalidInputError({"seats": _("Seats must be a whole number from 1.")})
    now = utcnow()
    scanned_at = scanned_at or now
    normalized = tickets.normalize_code(code)
    with write_transaction() as session:
        connection = session.connection()
        row = normalized and connection.execute(_FIND_TICKET_LOCKED, {"code": normalized}).one_or_none()
        if not row or row.screening_id != screening_id:  # only then can the screening be unknown
            if connection.scalar(sa.select(_S.id).where(_S.id == screening_id)) is None:
                raise NotFoundError(_("No screening has this id."))
        log = dict(screening_id=screening_id, scanned_code=_printable(code),
                   staff_user_id=user_id, device_id=device_id, scanned_at=scanned_at, recorded_at=now)
        if not row:
            return _record(connection, log, NOT_VALID, "unknown_code")
        log["ticket_id"] = row.id
        refusal = _refusal(row, screening_id)
        if refusal:
            return _record(connection, log, NOT_VALID, refusal, row)
        remaining = row.seats - row.admitted
        wanted = seats or remaining
        if remaining and wanted <= remaining:
            if connection.execute(_ADMIT, {"ticket_id": row.id, "n": wanted, "now": now}).rowcount == 1:
                # The guarded update succeeded, so the new state follows from the row we read.
                admitted = SimpleNamespace(**{**row._asdict(), "admitted": row.admitted + wanted,
                                              "last_admitted_at": now, "first_admitted_at": row.first_admitted_at or now})
                return _record(connection, log, ADMITTED, "", admitted, wanted, had_earlier=row.admitted > 0)
            # The guard refused: another door admitted people since the read (the lock makes
            # this impossible on both databases today; the guard stays as the backstop of R2).
            row = connection.execute(_FIND_TICKET, {"code": normalized}).one()
            remaining = row.seats - row.admitted
        return _record(connection, log, ALREADY, "all_in" if remaining == 0 else "fewer_seats_left", row)


def _printable(code):
    """What was scanned, fit for the log: text only, no control characters, at most 64 long."""
    text = code if isinstance(code, str) else ""
    return "".join(ch for ch in text if ch.isprintable())[:64]


def _refusal(row, screening_id):
    if row.screening_id != screening_id:
        return "other_screening"
    if row.status != "confirmed":
        if row.cancel_reason == "released":
            return "released"
        return row.status  # cancelled or waitlisted
    if row.is_cancelled:
        return "screening_cancelled"
    return None


_INSERT_LOG = sa.insert(CheckIn.__table__).returning(CheckIn.__table__.c.id)


def _record(connection, log, result, reason, row=None, admitted_now=0, had_earlier=True):
    """Log the scan (R5) and return its verdict, with the ticket's earlier admissions."""
    entry_id = connection.scalar(
        _INSERT_LOG, {"ticket_id": None, **log, "result": result, "reason": reason, "seats": admitted_now, "undoes_id": None}
    )
    return Verdict(
        result=result,
        reason=reason,
        checkin_id=entry_id,
        admitted_now=admitted_now,
        ticket=_ticket_details(row) if row else None,
        earlier=_earlier_admissions(connection, row.id, entry_id) if row and had_earlier else [],
    )


def _ticket_details(row):
    return {
        "code": row.code,
        "short_code": tickets.short_code(row.code),
        "name": row.name,
        "seats": row.seats,
        "admitted": row.admitted,
        "status": row.status,
        "screening": {"id": row.screening_id, "title": row.title, "starts_at": row.starts_at},
        "first_admitted_at": row.first_admitted_at,
        "last_admitted_at": row.last_admitted_at,
    }


def _earlier_admissions(connection, ticket_id, before_id):
    undone = sa.select(CheckIn.undoes_id).where(CheckIn.undoes_id.is_not(None))
    rows = connection.execute(
        sa.select(CheckIn.id, CheckIn.scanned_at, CheckIn.seats, User.email, Device.name)
        .outerjoin(User, CheckIn.staff_user_id == User.id)
        .outerjoin(Device, CheckIn.device_id == Device.id)
        .where(
            CheckIn.ticket_id == ticket_id,
            CheckIn.result == ADMITTED,
            CheckIn.id < before_id,
            CheckIn.id.not_in(undone),
        )
        .order_by(CheckIn.id)
    ).all()
    return [
        {"checkin_id": r.id, "at": r.scanned_at, "seats": r.seats, "staff": r.email, "device": r.name}
        for r in rows
    ]


def undo(checkin_id, user_id=None, device_id=None):
    """Take back an admission: its people count as not yet in; the undo is logged (R2, R5).

    Raises NotFoundError, UndoRefusedError (not an admission, or undone already).
    """
    now = utcnow()
    with write_transaction() as session:
        admission = session.get(CheckIn, checkin_id, with_for_update=True)  # racing undos: one wins
        if admission is None:
            raise NotFoundError(_("No check-in has this id."))
        already = session.scalar(sa.select(CheckIn.id).where(CheckIn.undoes_id == checkin_id))
        if admission.result != ADMITTED or already:
            raise UndoRefusedError()
        taken_back = session.connection().execute(
            sa.update(Ticket.__table__)
            .where(_T.id == admission.ticket_id, _T.admitted >= admission.seats)
            .values(admitted=_T.admitted - admission.seats)
        ).rowcount
        if taken_back != 1:
            raise UndoRefusedError()
        entry = CheckIn(
            ticket_id=admission.ticket_id, screening_id=admission.screening_id,
            scanned_code=admission.scanned_code, staff_user_id=user_id, device_id=device_id,
            seats=admission.seats, result=UNDONE, reason="undo", undoes_id=admission.id,
            scanned_at=now, recorded_at=now,
        )
        session.add(entry)
        session.flush()
        return entry


def screening_counts(screening_ids=None):
    """Return {screening id: (seats confirmed, seats waitlisted, people in, seats free)}.

    Seats free are those the public or a walk-in may take: not confirmed, not held for guests.
    """
    waiting = (
        sa.select(sa.func.coalesce(sa.func.sum(Registration.seats), 0))
        .where(Registration.screening_id == Screening.id, Registration.status == "waitlisted")
        .scalar_subquery()
    )
    inside = (
        sa.select(sa.func.coalesce(sa.func.sum(Ticket.admitted), 0))
        .join(Registration)
        .where(Registration.screening_id == Screening.id)
        .scalar_subquery()
    )
    free = Screening.capacity - Screening.seats_taken - Screening.seats_held
    query = sa.select(Screening.id, Screening.seats_taken, waiting, inside, free)
    if screening_ids is not None:
        query = query.where(Screening.id.in_(screening_ids))
    return {row[0]: tuple(row[1:]) for row in db.session.execute(query)}


def admitted_since(screening_id, since):
    """Return how many people were admitted at a screening's door since `since`, undos deducted."""
    signed = sa.case((CheckIn.result == ADMITTED, CheckIn.seats), (CheckIn.result == UNDONE, -CheckIn.seats), else_=0)
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(signed), 0)).where(
            CheckIn.screening_id == screening_id, CheckIn.scanned_at >= since
        )
    )


def search(screening_id, text, limit=20):
    """Find tickets of a screening by name, e-mail or the start of the code."""
    text = (text or "").strip()
    if not text or len(text) > 200 or has_hidden_characters(text):
        return []
    folded = text.casefold()
    pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    code_start = text.replace("-", "").replace(" ", "").upper()
    return db.session.execute(
        sa.select(Ticket, Registration)
        .join(Registration)
        .where(
            Registration.screening_id == screening_id,
            sa.or_(
                Registration.name_normalized.like(pattern, escape="\\"),
                Registration.email_normalized.like(pattern, escape="\\"),
                Ticket.code.startswith(code_start, autoescape=True) if len(code_start) >= 4 else sa.false(),
            ),
        )
        .order_by(Registration.name)
        .limit(limit)
    ).all()
