"""The door: admitting tickets (R2) and logging every scan (R5), online and after an offline spell.

A ticket admits as many people as it has seats. Admission is one conditional UPDATE that can
only succeed while enough seats remain unadmitted, so that any number of scans of one ticket,
from any number of doors and processes, never admits more people than it holds. Every scan,
good or bad, writes a row to the check-in log in the same transaction.

A door device without the network decides scans itself from its copy of the tickets
(`door_copy`) and sends them when it is back, with the time they happened and what it decided
(`Offline`). A scan carries the device's own id: sent twice, it is recorded once. An admission
made offline that the server cannot honour in full (the ticket was used at another door
meanwhile, or cancelled) is recorded all the same, flagged as a conflict (R2).
"""
import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError, ScanIdTakenError, UndoRefusedError
from ..extensions import db
from ..models import CheckIn, Device, Registration, ScanResult, Screening, Ticket, User, utcnow
from . import tickets
from .inputs import clean_email, has_hidden_characters

ADMITTED, ALREADY, NOT_VALID, UNDONE = (result.value for result in (
    ScanResult.ADMITTED, ScanResult.ALREADY_CHECKED_IN, ScanResult.NOT_VALID, ScanResult.UNDONE))
_T, _R, _S, _C = Ticket.__table__.c, Registration.__table__.c, Screening.__table__.c, CheckIn.__table__.c

_TICKET_ROW = (
    sa.select(
        _T.id, _T.code, _T.seats, _T.admitted, _T.first_admitted_at, _T.last_admitted_at,
        _R.name, _R.status, _R.cancel_reason, _R.hold_until, _R.screening_id,
        _S.title, _S.starts_at, _S.is_cancelled,
    )
    .select_from(Ticket.__table__.join(Registration.__table__).join(Screening.__table__))
)
_FIND_TICKET = _TICKET_ROW.where(_T.code == sa.bindparam("code"))
# The registration's row is locked while a ticket is judged and admitted, so that a cancellation
# running at the same moment either waits for the admission or is seen by it (PostgreSQL; on
# SQLite the write transaction already runs alone).
_FIND_TICKET_LOCKED = _FIND_TICKET.with_for_update(of=Registration.__table__)
_LOCK_REGISTRATION_OF_TICKET = (
    sa.select(_R.id).select_from(Registration.__table__.join(Ticket.__table__))
    .where(_T.id == sa.bindparam("ticket_id")).with_for_update(of=Registration.__table__)
)
_ADMIT = (
    sa.update(Ticket.__table__)
    .where(_T.id == sa.bindparam("ticket_id"), _T.admitted + sa.bindparam("n") <= _T.seats)
    .values(
        admitted=_T.admitted + sa.bindparam("n"),
        first_admitted_at=sa.func.coalesce(_T.first_admitted_at, sa.bindparam("now")),
        last_admitted_at=sa.bindparam("now"),
    )
)

SEATS_MAX = 1000  # people one scan may admit: more than any ticket holds, less than a typo's millions

# The door's words, once: the verdict's title for each result, and the message for each result and
# reason (the API's `message`, the door page with and without JavaScript, the attendee list).
TITLES = {ADMITTED: _l("Admitted"), ALREADY: _l("Already checked in"), NOT_VALID: _l("Not valid here")}
MESSAGES = {
    (ADMITTED, ""): _l("Admitted."),
    (ALREADY, "all_in"): _l("Everyone on this ticket is in."),
    (ALREADY, "fewer_seats_left"): _l("Fewer people are left on this ticket."),
    (NOT_VALID, "unknown_code"): _l("Not a ticket of this festival."),
    (NOT_VALID, "other_screening"): _l("This ticket is for another screening."),
    (NOT_VALID, "cancelled"): _l("This registration was cancelled."),
    (NOT_VALID, "released"): _l("Not claimed in time: the seat went to someone else."),
    (NOT_VALID, "waitlisted"): _l("This registration is on the waiting list."),
    (NOT_VALID, "unconfirmed"): _l("Not confirmed yet: the link in the booking's e-mail must be followed first."),
    (NOT_VALID, "screening_cancelled"): _l("This screening is cancelled."),
}


def door_words():
    """The door's words in the current language, for the page: (titles by result, messages by
    reason; a reason belongs to one result)."""
    return ({result: str(title) for result, title in TITLES.items()},
            {reason: str(message) for (_result, reason), message in MESSAGES.items()})




@dataclass
class Verdict:
    """What the door shows: `result`, a `reason`, the ticket's details and its earlier scans;
    `conflict` when a device let in offline more people than the server could admit."""

    result: str
    reason: str
    checkin_id: int
    admitted_now: int = 0
    ticket: dict | None = None
    earlier: list = field(default_factory=list)
    offline: bool = False
    conflict: bool = False


@dataclass(frozen=True)
class Offline:
    """What a device decided about a scan without the server: its result and reason, and how
    many people it let in (0 unless admitted)."""

    result: str
    reason: str
    seats: int

    def __post_init__(self):
        seats_ok = isinstance(self.seats, int) and not isinstance(self.seats, bool) and 0 <= self.seats <= SEATS_MAX
        pair_ok = isinstance(self.result, str) and isinstance(self.reason, str) and (self.result, self.reason) in MESSAGES
        if not pair_ok or not seats_ok or (self.seats > 0) != (self.result == ADMITTED):
            raise InvalidInputError({"offline": _(
                "Send what the device decided: result, reason and the seats it let in (0 unless admitted).")})


def check_in(code, screening_id, seats=None, user_id=None, device_id=None, scanned_at=None,
             scan_id=None, offline=None):
    """Scan `code` at the door of `screening_id`; admit `seats` people (default: all not yet in).

    Returns a Verdict: admitted; already_checked_in (everyone is in, or fewer seats remain than
    asked for); not_valid with a reason (unknown_code, other_screening, cancelled, waitlisted,
    screening_cancelled). With `offline` (an Offline), the scan was decided on a device at
    `scanned_at`: a refusal is recorded as the device showed it and admits no one; an admission
    admits what is left, up to the seats the device let in, and is a conflict if that falls
    short. A `scan_id` seen before returns the verdict recorded then, for the same code at the
    same screening only, and changes nothing recorded; if that first arrival was judged online
    and this one says the device let more people in meanwhile, the scan is flagged as a
    conflict (`_settle`). A `scanned_at` ahead of the server's clock counts as now.
    Raises InvalidInputError for a seat count that is not a whole number from 1 to SEATS_MAX,
    ScanIdTakenError for a scan id used for another scan, NotFoundError for an unknown screening.
    """
    if seats is not None and (isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= SEATS_MAX):
        raise InvalidInputError({"seats": _("Seats must be a whole number from 1.")})
    now = utcnow()
    scanned_at = min(scanned_at or now, now)  # a device's clock ahead of ours: not in the future
    try:
        with write_transaction() as session:
            connection = session.connection()
            recorded = scan_id and connection.execute(_FIND_SCAN, {"scan_id": scan_id}).one_or_none()
            if recorded:
                return _settle(connection, recorded, code, screening_id, offline)
            log = dict(screening_id=screening_id, scanned_code=_printable(code), staff_user_id=user_id,
                       device_id=device_id, scanned_at=scanned_at, recorded_at=now, scan_id=scan_id,
                       offline_seats=offline.seats if offline else None)
            return _judge(connection, code, screening_id, seats, log, now, offline)
    except IntegrityError:
        if not scan_id:
            raise
        # The same scan arrived twice at once (a retry racing its original) and the other was
        # recorded first: this one's transaction, admission included, was rolled back.
        with write_transaction() as session:
            connection = session.connection()
            recorded = connection.execute(_FIND_SCAN, {"scan_id": scan_id}).one_or_none()
            if recorded is None:
                raise
            return _settle(connection, recorded, code, screening_id, offline)


def _settle(connection, recorded, code, screening_id, offline):
    """A scan already recorded under its id, sent again: the verdict recorded then.

    A recorded scan is final: its result, its reason and the people it admitted never change
    here, whoever sends the id again and whatever they say the device decided (a re-send that
    said "turned away" once took the admission back, and let any number of people in on one
    ticket). Only an admission's logged undo takes people back (`undo`). What a re-send may
    add is the conflict: the first arrival was judged online (the device stopped waiting for
    its answer) and the device, deciding from its copy meanwhile, let more people in than the
    server admitted. The scan then says how many the device let in and is flagged, once.
    """
    if recorded.screening_id != screening_id or recorded.scanned_code != _printable(code):
        raise ScanIdTakenError()
    if offline is not None and recorded.offline_seats is None and offline.seats > recorded.seats:
        connection.execute(sa.update(CheckIn.__table__)
                           .where(_C.id == recorded.id, _C.offline_seats.is_(None))
                           .values(offline_seats=offline.seats, is_conflict=True))
        recorded = connection.execute(_FIND_SCAN, {"scan_id": recorded.scan_id}).one()
    return _replay(connection, recorded)


_SHORT_CODE_AT = (
    sa.select(_T.code).select_from(Ticket.__table__.join(Registration.__table__))
    .where(_R.screening_id == sa.bindparam("screening_id"), _T.code.startswith(sa.bindparam("short")))
    .limit(2)
)


def _full_code(connection, code, screening_id):
    """The ticket code `code` stands for: itself, or the one ticket of this screening whose short
    code (printed under the QR) it is; None for neither."""
    normalized = tickets.normalize_code(code)
    short = normalized is None and tickets.normalize_short_code(code)
    if short:
        found = connection.execute(_SHORT_CODE_AT, {"screening_id": screening_id, "short": short}).scalars().all()
        normalized = found[0] if len(found) == 1 else None
    return normalized


def _judge(connection, code, screening_id, seats, log, now, offline):
    normalized = _full_code(connection, code, screening_id)
    row = normalized and connection.execute(_FIND_TICKET_LOCKED, {"code": normalized}).one_or_none()
    if not row or row.screening_id != screening_id:  # only then can the screening be unknown
        if connection.scalar(sa.select(_S.id).where(_S.id == screening_id)) is None:
            raise NotFoundError(_("No screening has this id."))
    if row:
        log["ticket_id"] = row.id
    if offline and offline.result != ADMITTED:  # turned away at the door: recorded as shown there
        return _record(connection, log, offline.result, offline.reason, row)
    if not row:
        return _record(connection, log, NOT_VALID, "unknown_code")
    refusal = _refusal(row, screening_id)
    if refusal:
        return _record(connection, log, NOT_VALID, refusal, row)
    remaining = row.seats - row.admitted
    wanted = min(offline.seats, remaining) if offline else (seats or remaining)
    if remaining and 0 < wanted <= remaining:
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


def _door_status(row):
    """A registration's status as the door tells it: confirmed, cancelled, waitlisted, released
    (its seat went to someone else, not claimed in time), or unconfirmed (its e-mail address is
    not confirmed yet, services/holds.py)."""
    if row.status != "confirmed":
        return "released" if row.cancel_reason == "released" else row.status
    return "confirmed" if row.hold_until is None else "unconfirmed"


def _refusal(row, screening_id):
    if row.screening_id != screening_id:
        return "other_screening"
    status = _door_status(row)
    if status != "confirmed":
        return status
    if row.is_cancelled:
        return "screening_cancelled"
    return None


_INSERT_LOG = sa.insert(CheckIn.__table__).returning(_C.id)
_FIND_SCAN = sa.select(CheckIn.__table__).where(_C.scan_id == sa.bindparam("scan_id"))


def _record(connection, log, result, reason, row=None, admitted_now=0, had_earlier=True):
    """Log the scan (R5) and return its verdict, with the ticket's earlier admissions."""
    offline_seats = log.get("offline_seats")
    conflict = offline_seats is not None and offline_seats > admitted_now
    entry_id = connection.scalar(_INSERT_LOG, {
        "ticket_id": None, **log, "result": result, "reason": reason, "seats": admitted_now,
        "undoes_id": None, "is_conflict": conflict})
    return Verdict(
        result=result,
        reason=reason,
        checkin_id=entry_id,
        admitted_now=admitted_now,
        ticket=_ticket_details(row) if row else None,
        earlier=_earlier_admissions(connection, row.id, entry_id) if row and had_earlier else [],
        offline=offline_seats is not None,
        conflict=conflict,
    )


def _replay(connection, entry):
    """The verdict of a scan recorded before (`entry`, a check-in row), as the ticket is now."""
    row = entry.ticket_id and connection.execute(_TICKET_ROW.where(_T.id == entry.ticket_id)).one_or_none()
    return Verdict(
        result=entry.result, reason=entry.reason, checkin_id=entry.id, admitted_now=entry.seats,
        ticket=_ticket_details(row) if row else None,
        earlier=_earlier_admissions(connection, row.id, entry.id) if row else [],
        offline=entry.offline_seats is not None, conflict=entry.is_conflict,
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


UNDO_WINDOW = timedelta(minutes=15)


def undo(checkin_id, user_id=None, device_id=None, by_admin=False):
    """Take back an admission: its people count as not yet in; the undo is logged (R2, R5).

    Only the door that let them in (the same staff login or the same device) may undo an
    admission, within UNDO_WINDOW of its being recorded (a volunteer who scanned the wrong
    ticket, a group that came in fewer); an admin may undo any admission at any time.
    Raises NotFoundError, UndoRefusedError (not an admission, undone already, or not this
    door's to undo).
    """
    now = utcnow()
    with write_transaction() as session:
        found = session.execute(sa.select(_C.ticket_id, _C.staff_user_id, _C.device_id, _C.recorded_at)
                                .where(_C.id == checkin_id)).one_or_none()
        if found is None:
            raise NotFoundError(_("No check-in has this id."))
        ticket_id = found.ticket_id
        if ticket_id is None:
            raise UndoRefusedError()  # a scan of an unknown code: nobody was let in
        if not by_admin and not _undoable_by(found, user_id, device_id, now):
            raise UndoRefusedError(_(
                "Only the door that let them in can undo an admission, within %(minutes)d minutes; "
                "after that, ask an admin.", minutes=UNDO_WINDOW // timedelta(minutes=1)))
        # Locks in the order an admission and an erasure take them: the registration, then its
        # ticket and check-ins (the check-in first deadlocked with an erasure on PostgreSQL).
        session.execute(_LOCK_REGISTRATION_OF_TICKET, {"ticket_id": ticket_id})
        admission = session.get(CheckIn, checkin_id, with_for_update=True,  # racing undos: one wins
                                populate_existing=True)
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


def _undoable_by(admission, user_id, device_id, now):
    same_door = ((user_id is not None and admission.staff_user_id == user_id)
                 or (device_id is not None and admission.device_id == device_id))
    return same_door and now - admission.recorded_at <= UNDO_WINDOW


def code_hash(code):
    """The SHA-256 of a ticket code (hex): what a door device keeps instead of the code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def door_copy(screening):
    """Return what a door device keeps to decide scans while offline (issue 7).

    Every ticket of the screening's event, its code only as a SHA-256 hash: for this screening's
    tickets the name, seats, people already in and status (confirmed, cancelled, waitlisted,
    released or unconfirmed); for the other screenings' only which screening, so that the device can say
    "another screening" rather than "not a ticket of this festival". No e-mail address.
    """
    taken_at = utcnow()  # before the read: a change after it shows in the next copy
    rows = db.session.execute(
        sa.select(_T.code, _T.seats, _T.admitted, _R.name, _R.status, _R.cancel_reason, _R.hold_until,
                  _R.screening_id)
        .select_from(Ticket.__table__.join(Registration.__table__).join(Screening.__table__))
        .where(_S.event_id == screening.event_id)
    ).all()
    ours, others = [], {}
    for row in rows:
        if row.screening_id == screening.id:
            ours.append({"hash": code_hash(row.code), "name": row.name, "seats": row.seats,
                         "admitted": row.admitted, "status": _door_status(row)})
        else:
            others[code_hash(row.code)] = row.screening_id
    screenings = db.session.execute(
        sa.select(_S.id, _S.title, _S.starts_at).where(_S.event_id == screening.event_id, _S.id != screening.id)
    ).all()
    return {
        "screening": screening.id,
        "is_cancelled": screening.is_cancelled,
        "taken_at": taken_at,
        "tickets": ours,
        "other_tickets": others,
        "other_screenings": {str(s.id): {"title": s.title, "starts_at": s.starts_at} for s in screenings},
    }


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


SEARCH_MIN = 3  # characters of a name: "An" would list half the hall
SEARCH_RESULTS = 5


def search(screening_id, text, limit=SEARCH_RESULTS):
    """Find tickets of a screening by part of the name (SEARCH_MIN characters or more), the whole
    e-mail address, or the start of the code (4 characters or more); at most `limit`, by name.
    What the door is shown of them is up to the caller: the API gives the short code, no e-mail."""
    text = (text or "").strip()
    if len(text) < SEARCH_MIN or len(text) > 200 or has_hidden_characters(text):
        return []
    folded = text.casefold()
    pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    code_start = text.replace("-", "").replace(" ", "").upper()
    try:
        email = clean_email(text)[1] if "@" in text else None
    except ValueError:
        email = None
    return db.session.execute(
        sa.select(Ticket, Registration)
        .join(Registration)
        .where(
            Registration.screening_id == screening_id,
            sa.or_(
                Registration.name_normalized.like(pattern, escape="\\"),
                Registration.email_normalized == email if email else sa.false(),
                Ticket.code.startswith(code_start, autoescape=True) if len(code_start) >= 4 else sa.false(),
            ),
        )
        .order_by(Registration.name)
        .limit(limit)
    ).all()


def conflict_counts(screening_ids):
    """Return {screening id: number of conflicts} for those of `screening_ids` that have any."""
    if not screening_ids:
        return {}
    return dict(db.session.execute(
        sa.select(CheckIn.screening_id, sa.func.count())
        .where(CheckIn.screening_id.in_(screening_ids), CheckIn.is_conflict.is_(True))
        .group_by(CheckIn.screening_id)
    ).all())


def conflicts(screening_ids):
    """Return the door's conflicts at `screening_ids`, oldest first: scans a device decided offline
    that let in more people than the server could admit when they arrived (the ticket was used at
    another door meanwhile, or cancelled), each with the ticket's name, its registration and who
    scanned it."""
    if not screening_ids:
        return []
    return db.session.execute(
        sa.select(CheckIn, Registration.id.label("registration_id"), Registration.name, User.email, Device.name.label("device"))
        .outerjoin(Ticket, CheckIn.ticket_id == Ticket.id)
        .outerjoin(Registration, Ticket.registration_id == Registration.id)
        .outerjoin(User, CheckIn.staff_user_id == User.id)
        .outerjoin(Device, CheckIn.device_id == Device.id)
        .where(CheckIn.screening_id.in_(screening_ids), CheckIn.is_conflict.is_(True))
        .order_by(CheckIn.scanned_at, CheckIn.id)
    ).all()
