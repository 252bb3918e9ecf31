"""API views: parse JSON, call one service, answer JSON."""
import json
import re
from decimal import Decimal
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from ..errors import InvalidInputError
from ..extensions import db
from ..models import CheckIn, Screening, Ticket, utcnow
from ..security import limit_api_lookups, limit_door_search
from ..services import booking, checkin, guests, questions, tickets
from . import api_error, bp
from .openapi import spec

PACE_MINUTES = 5  # the door's pace is measured over this many minutes
SCAN_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
DEVICE_CLOCK_TOLERANCE = timedelta(days=7)  # an offline spell lasts hours; more is a wrong clock


def _json_body():
    """Return the request's JSON object, or raise InvalidInputError. A number without a fraction
    is a whole number, as JSON Schema has it (2.0 seats are 2)."""
    try:
        body = json.loads(request.get_data(cache=True) or b"null", parse_float=_json_number)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        body = None
    if not request.is_json or not isinstance(body, dict):
        raise InvalidInputError({"body": _("Send a JSON object, with Content-Type: application/json.")})
    return body


def _json_number(text):
    """A JSON number written with a fraction or an exponent: an int if it is whole and of a
    reasonable size (no 1e999999 turned into a million digits), else a float."""
    number = Decimal(text)
    if number == number.to_integral_value() and number.adjusted() < 19:
        return int(number)
    return float(text)


def _wrong_types(body, text=(), whole=()):
    """A message for each field named whose JSON value is of the wrong type: the services also
    read the form's strings ("2" seats) and take null for left out, but JSON says which it means.
    Fields left out are the services' to judge."""
    fields = {}
    for field in text:
        if field in body and not isinstance(body[field], str):
            fields[field] = _("Send %(field)s as text.", field=field)
    for field in whole:
        if field in body and (isinstance(body[field], bool) or not isinstance(body[field], int)):
            fields[field] = _("Send %(field)s as a whole number.", field=field)
    return fields


def _door_screening(screening_id):
    """Load a screening for door work, or answer 404; door staff limited to events get 403."""
    screening = db.get_or_404(Screening, screening_id)
    if g.api_user is not None and not g.api_user.may_work_at(screening.event_id):
        raise Forbidden(_("You work at the doors of other events."))
    return screening


def _screening_json(screening, counts):
    confirmed, waiting, inside, free = counts
    return {
        "id": screening.id,
        "title": screening.title,
        "original_title": screening.original_title,
        "starts_at": screening.starts_at,
        "timezone": screening.event.timezone,
        "venue": screening.display_venue,
        "capacity": screening.capacity,
        "seats_confirmed": confirmed,
        "seats_waitlisted": waiting,
        "people_in": inside,
        "seats_free": max(free, 0),
        "seats_held": screening.seats_held,
        "release_at": guests.release_time(screening),
        "released": screening.released_at is not None,
        "is_cancelled": screening.is_cancelled,
        # The organizers' words, in the event's main language and in every other one written.
        "main_language": screening.event.main_language,
        "description": screening.description,
        "note": screening.note,
        "texts": screening.texts or {},
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(spec())


@bp.get("/screenings")
def screenings():
    """Every screening with its counts (for door staff limited to events: those events' only)."""
    shown = db.session.scalars(sa.select(Screening).order_by(Screening.starts_at)).all()
    if g.api_user is not None:
        shown = [s for s in shown if g.api_user.may_work_at(s.event_id)]
    counts = checkin.screening_counts([s.id for s in shown])
    return jsonify({"screenings": [_screening_json(s, counts[s.id]) for s in shown]})


@bp.get("/screenings/<int(max=2147483647):screening_id>")
def screening(screening_id):
    """One screening with its counts, and the door's pace: people admitted in the last minutes.

    The door polls this: it is also where unclaimed seats are released when their time comes.
    """
    shown = _door_screening(screening_id)
    guests.release_due(screening_id)  # ends the read transaction: `shown` reloads fresh
    counts = checkin.screening_counts([shown.id])[shown.id]
    since = utcnow() - timedelta(minutes=PACE_MINUTES)
    return jsonify({**_screening_json(shown, counts), "pace": {
        "minutes": PACE_MINUTES, "admitted": checkin.admitted_since(shown.id, since)},
        "questions": [_question_json(q) for q in questions.asked(shown.id)]})


def _answer_type(value):
    """Whether a JSON value may answer a question: text, a number, true or false, null, or a list
    of texts (several choices)."""
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return value is None or isinstance(value, (str, int, float, bool))


def _question_json(question):
    """A question of the sign-up form, as a registration through the API answers it."""
    return {"id": question.id, "kind": question.kind, "label": question.label, "required": question.required,
            "choices": question.choices or [], "link": question.link,
            "texts": question.texts or {}}


@bp.post("/screenings/<int(max=2147483647):screening_id>/registrations")
def register(screening_id):
    """Register a person, with the same rules as the public form (admins and devices only)."""
    if g.api_user is not None and not g.api_user.is_admin:
        return api_error(403, "forbidden", _("Door staff check tickets in; registering is for organisers."))
    body = _json_body()
    wrong = _wrong_types(body, text=("name", "email"), whole=("seats",))
    answers = {} if body.get("answers") is None else body["answers"]
    if not isinstance(answers, dict) or not all(_answer_type(value) for value in answers.values()):
        wrong["answers"] = _("Send answers as an object: each question's id, then its answer.")
    if wrong:
        raise InvalidInputError(wrong)
    # An answer is keyed by the question's id ("12"), as the screening lists it; its errors too.
    answers = {f"q{key}" if str(key).isdigit() else str(key): value for key, value in answers.items()}
    # Staff and door devices are known: their bookings are never held for e-mail confirmation.
    result = booking.book(screening_id, body.get("name"), body.get("email"), body.get("seats"), hold=False,
                          answers=answers)
    if result.outcome == "repeat":
        return api_error(409, "already_registered", _(
            "This e-mail address is already registered for this screening; its ticket is sent to it again."))
    registration = result.registration
    code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == registration.id))
    return jsonify({
        "outcome": result.outcome,
        "registration": {
            "id": registration.id,
            "screening_id": registration.screening_id,
            "name": registration.name,
            "email": registration.email,
            "seats": registration.seats,
            "status": registration.status,
            "ticket_code": code,
            "short_code": tickets.short_code(code),
            "manage_url": url_for("public.registration", secret=registration.secret, _external=True),
        },
    }), 201 if result.outcome != "resubmitted" else 200


@bp.post("/checkins")
@limit_api_lookups
def check_in():
    """Scan a ticket at a screening's door (or record a scan a device decided offline)."""
    body = _json_body()
    fields = _wrong_types(body, whole=("seats",))
    code, screening_id, seats = body.get("code"), body.get("screening"), body.get("seats")
    if not isinstance(code, str) or not code.strip():
        fields["code"] = _("Send the scanned or typed ticket code as a string.")
    if isinstance(screening_id, bool) or not isinstance(screening_id, int) or not 0 < screening_id < 2**31:
        fields["screening"] = _("Send the screening's id as a whole number.")
    scan_id, scanned_at, offline = _scan_fields(body, fields)
    if fields:
        raise InvalidInputError(fields)
    if g.api_user is not None and g.api_user.events and not g.api_user.is_admin:
        _door_screening(screening_id)
    verdict = checkin.check_in(
        code, screening_id, seats,
        user_id=g.api_user.id if g.api_user else None,
        device_id=g.api_device.id if g.api_device else None,
        scanned_at=_device_time(scanned_at) if offline else None, scan_id=scan_id, offline=offline,
    )
    return jsonify({
        "result": verdict.result,
        "reason": verdict.reason,
        "message": str(checkin.MESSAGES[(verdict.result, verdict.reason)]),
        "checkin_id": verdict.checkin_id,
        "admitted_now": verdict.admitted_now,
        "ticket": verdict.ticket,
        "earlier": verdict.earlier,
        "offline": verdict.offline,
        "conflict": verdict.conflict,
    })


def _scan_fields(body, fields):
    """The optional fields of a scan a device sends: its own id, its time, what it decided offline
    (left out, each is None; sent as null, it is wrong)."""
    scan_id, scanned_at, offline = body.get("scan_id"), body.get("scanned_at"), body.get("offline")
    if "scan_id" in body and not (isinstance(scan_id, str) and SCAN_ID.fullmatch(scan_id)):
        fields["scan_id"] = _("Send the scan's id as 8 to 64 letters, digits, - or _.")
    if "scanned_at" in body:
        scanned_at = _aware_time(scanned_at)
        if scanned_at is None:
            fields["scanned_at"] = _("Send the time of the scan as ISO 8601 with its offset, e.g. 2026-11-28T19:05:00Z.")
    if "offline" in body:
        decided = offline if isinstance(offline, dict) else {}
        try:  # Offline checks the decision and words the field's message
            offline = checkin.Offline(decided.get("result"), decided.get("reason"), decided.get("seats"))
        except InvalidInputError as error:
            fields.update(error.fields)
        if scanned_at is None and "scanned_at" not in fields:
            fields["scanned_at"] = _("A scan decided offline needs the time it happened on the device.")
    return scan_id, scanned_at, offline


def _device_time(moment):
    """A device's time for a scan it decided offline; None (now) for a clock more than
    DEVICE_CLOCK_TOLERANCE behind the server's (a phone reset to 1970), which no page could show."""
    return moment if moment >= utcnow() - DEVICE_CLOCK_TOLERANCE else None


def _aware_time(text):
    """An ISO 8601 time with its offset, in UTC; None if `text` is not one. A time whose UTC falls
    beyond the years a datetime holds (0001-01-01T00:00:00+01:00, found by the schema test) is
    still a time: it becomes the first or last one there is, a clock far off (_device_time)."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # not a time
        return None
    if moment.tzinfo is None:
        return None
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=timezone.utc)


@bp.get("/screenings/<int(max=2147483647):screening_id>/door-copy")
def door_copy(screening_id):
    """The tickets a door device keeps to decide scans offline: codes as SHA-256 hashes only."""
    shown = _door_screening(screening_id)
    response = jsonify(checkin.door_copy(shown))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/screenings/<int(max=2147483647):screening_id>/walkins")
def walk_in(screening_id):
    """Seat and admit someone without a booking, on a free seat (door staff, admins, devices)."""
    _door_screening(screening_id)
    body = _json_body()
    if wrong := _wrong_types(body, text=("name",), whole=("seats",)):
        raise InvalidInputError(wrong)
    registration = guests.add_walkin(
        screening_id, body.get("name", ""), body.get("seats", 1),
        user_id=g.api_user.id if g.api_user else None,
        device_id=g.api_device.id if g.api_device else None,
    )
    counts = checkin.screening_counts([screening_id])[screening_id]
    return jsonify({
        "registration": {"id": registration.id, "name": registration.name, "seats": registration.seats,
                         "ticket_code": registration.ticket.code,
                         "short_code": tickets.short_code(registration.ticket.code)},
        "seats_free": max(counts[3], 0),
    }), 201


@bp.post("/checkins/<int(max=2147483647):checkin_id>/undo")
def undo(checkin_id):
    """Take back an admission; the undo is logged. The door that let them in may, for a while;
    an admin always may (`checkin.undo`)."""
    admission = db.get_or_404(CheckIn, checkin_id)
    _door_screening(admission.screening_id)  # door staff limited to events: their doors only
    entry = checkin.undo(
        checkin_id,
        user_id=g.api_user.id if g.api_user else None,
        device_id=g.api_device.id if g.api_device else None,
        by_admin=g.api_user is not None and g.api_user.is_admin,
    )
    return jsonify({"undone": checkin_id, "checkin_id": entry.id, "seats": entry.seats})


@bp.get("/screenings/<int(max=2147483647):screening_id>/tickets")
@limit_api_lookups
@limit_door_search
def search(screening_id):
    """Find a screening's tickets by part of the name, the whole e-mail address or the start of the
    code. The door is shown each ticket's short code (enough to check it in) and no e-mail."""
    _door_screening(screening_id)
    found = checkin.search(screening_id, request.args.get("q", ""))
    return jsonify({"tickets": [
        {"short_code": tickets.short_code(t.code), "name": r.name,
         "seats": t.seats, "admitted": t.admitted, "status": "unconfirmed" if r.is_held else r.status}
        for t, r in found
    ]})
