"""The OpenAPI 3.1 description of /api/v1 (its schemas are JSON Schema 2020-12).

It states every rule the server checks of a request's shape, taken from the rule's own home
(lengths, bounds, the characters a name may not hold), so that a request the document calls valid
is judged on its merits (409, 404…) and never refused as invalid, and one it calls invalid gets a
422 (tests/test_api_schema.py has Schemathesis check both ways).
"""
from datetime import timedelta
from functools import cache

from ..services.checkin import MESSAGES, SEARCH_MIN, SEARCH_RESULTS, SEATS_MAX, UNDO_WINDOW
from ..services.events import MAX_SEATS_MAX
from ..services.guests import GUEST_SEATS_MAX
from ..services.inputs import EMAIL_MAX, LINK_PATTERN, NAME_MAX, hidden_characters_pattern


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes):
    """The error answers `codes`, 429 (every request counts towards the caller's rate limit) and
    503 (the database cannot be reached for a moment)."""
    names = {400: "Bad request", 401: "Not authenticated", 403: "CSRF token missing or wrong, or not allowed for this account",
             404: "Not found", 409: "Refused in the current state (closed, cancelled, already registered…)",
             422: "Invalid input; `fields` says which",
             429: "Too many requests (kind `rate_limited`): wait `retry_after` seconds, also sent as the Retry-After header",
             503: "The database cannot be reached for a moment (kind `unavailable`): nothing was saved; retry after the Retry-After header's seconds"}
    return {str(code): _json(_ref("Error"), names[code]) for code in dict.fromkeys((*codes, 429, 503))}


_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
_ID_PARAM = lambda name: {"name": name, "in": "path", "required": True, "schema": _ID}  # noqa: E731
_NOT_BLANK = {"pattern": r"\S"}


def _name(required, note=""):
    """A person's name as the server checks it (services/inputs.py, clean_name)."""
    free_of_hidden = {"pattern": hidden_characters_pattern()}
    free_of_links = {"not": {"pattern": LINK_PATTERN}}
    return {
        "type": "string", "maxLength": NAME_MAX, **({"minLength": 1} if required else {}),
        "allOf": [_NOT_BLANK, free_of_hidden, free_of_links] if required else [free_of_hidden, free_of_links],
        "description": f"{note}At most {NAME_MAX} characters, and as many after the server tidies it "
                       "(spaces made single, Unicode NFC); no control, private-use, surrogate, noncharacter or "
                       "invisible direction-changing characters (the pattern lists them); no web address or "
                       "e-mail address (http://, www., name@example.org, example.com: the `not` pattern).",
    }


def _offline(result, reasons, seats):
    return {"properties": {"result": {"const": result}, "reason": {"enum": reasons}, "seats": seats}}


@cache
def schemas():
    """The document's schemas (built once: the name's pattern is read off Unicode's tables)."""
    reasons = lambda result: [reason for kind, reason in MESSAGES if kind == result]  # noqa: E731
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["kind", "message", "fields"],
                "properties": {
                    "kind": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "retry_after": {"type": "integer", "minimum": 1, "description": "On 429: seconds to wait."},
                },
            }},
        },
        "Screening": {
            "type": "object",
            "required": ["id", "title", "starts_at", "capacity", "seats_confirmed", "seats_waitlisted", "people_in"],
            "properties": {
                "id": {"type": "integer"},
                "title": {"type": "string"},
                "original_title": {"type": "string"},
                "starts_at": _TIME,
                "timezone": {"type": "string"},
                "venue": {"type": "string"},
                "capacity": {"type": "integer", "minimum": 0},
                "seats_confirmed": {"type": "integer", "minimum": 0},
                "seats_waitlisted": {"type": "integer", "minimum": 0},
                "people_in": {"type": "integer", "minimum": 0},
                "seats_free": {"type": "integer", "minimum": 0,
                               "description": "Seats the public or a walk-in may still take."},
                "seats_held": {"type": "integer", "minimum": 0, "description": "Seats held back for guests."},
                "release_at": {"oneOf": [{"type": "null"}, _TIME],
                               "description": "When unclaimed seats go to the waiting list and walk-ins."},
                "released": {"type": "boolean"},
                "is_cancelled": {"type": "boolean"},
                "main_language": {"type": "string", "description": "The language `description` and `note` are written in."},
                "description": {"type": "string"},
                "note": {"type": "string"},
                "texts": {"type": "object", "description": "The description and note in other languages, by language code "
                                                             "(a missing one: read the main language's).",
                          "additionalProperties": {"type": "object", "additionalProperties": False, "properties": {
                              "description": {"type": "string"}, "note": {"type": "string"}}}},
            },
        },
        "RegistrationRequest": {
            "type": "object",
            "required": ["name", "email"],
            "properties": {
                "name": _name(required=True),
                "email": {"type": "string", "format": "email", "maxLength": EMAIL_MAX,
                          "description": "Checked as the public form checks it (a domain with a dot; "
                                         "names such as localhost or .test refused); spaces around it are dropped."},
                "seats": {"type": "integer", "minimum": 1, "maximum": MAX_SEATS_MAX, "default": 1,
                          "description": "At most the screening's own limit for one person (1 to "
                                         f"{MAX_SEATS_MAX}, set by its organizers): more is a 422 naming it."},
                "answers": {"type": ["object", "null"], "description": (
                    "The answers to the organizers' own questions (GET /screenings/{id} lists them), by question id: "
                    "text; a list of choices for `choices`; \"yes\" or \"no\" (or true, false) for `yes_no`; "
                    "\"yes\" or true for `consent`; a number; an ISO country code. Checked as the form checks them: "
                    "a missing required answer or a wrong one is a 422 whose `fields` name it as q<id>. null: no answers."),
                    "additionalProperties": {"oneOf": [{"type": ["string", "number", "boolean", "null"]},
                                                       {"type": "array", "items": {"type": "string"}}]}},
            },
        },
        "Question": {
            "type": "object",
            "required": ["id", "kind", "label", "required", "choices"],
            "properties": {
                "id": {"type": "integer"},
                "kind": {"enum": ["short_text", "long_text", "choice", "choices", "yes_no", "number", "country", "consent"]},
                "label": {"type": "string"},
                "required": {"type": "boolean"},
                "choices": {"type": "array", "items": {"type": "string"}},
                "link": {"type": "string", "description": "For a consent box: the page it agrees to."},
                "texts": {"type": "object", "description": "The label and choices in other languages, by language code.",
                          "additionalProperties": {"type": "object"}},
            },
        },
        "Registration": {
            "type": "object",
            "required": ["outcome", "registration"],
            "properties": {
                "outcome": {"enum": ["confirmed", "waitlisted", "resubmitted"]},
                "registration": {
                    "type": "object",
                    "required": ["id", "screening_id", "name", "email", "seats", "status", "ticket_code", "short_code", "manage_url"],
                    "properties": {
                        "id": {"type": "integer"},
                        "screening_id": {"type": "integer"},
                        "name": {"type": "string"},
                        "email": {"type": "string"},
                        "seats": {"type": "integer", "minimum": 1},
                        "status": {"enum": ["confirmed", "waitlisted"]},
                        "ticket_code": {"type": "string", "pattern": "^[A-Z2-7]{26}$"},
                        "short_code": {"type": "string"},
                        "manage_url": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
        "CheckInRequest": {
            "type": "object",
            "required": ["code", "screening"],
            "dependentRequired": {"offline": ["scanned_at"]},
            "properties": {
                "code": {"type": "string", "minLength": 1, **_NOT_BLANK,
                         "description": "The scanned or typed code, or the short code printed under the QR (ABCD-EFGH) "
                                        "of a ticket of this screening; spaces, dashes and case do not matter."},
                "screening": {**_ID, "description": "The screening at whose door the ticket is scanned."},
                "seats": {"type": "integer", "minimum": 1, "maximum": SEATS_MAX,
                          "description": "How many to admit now; default: everyone not yet in."},
                "scan_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$",
                            "description": "The device's own id for this scan. A scan recorded under it is final: sent "
                                           "again (a retry, a sync, whatever `offline` now says) with the same code "
                                           "and screening, it is answered with the recorded verdict and changes nothing "
                                           "recorded, except that a scan first judged online is flagged a conflict, once, "
                                           "if the device says it let more people in meanwhile. With another code or "
                                           "screening: 409 `scan_id_taken`, nothing recorded."},
                "scanned_at": {**_TIME, "maxLength": 40,
                               "description": "With `offline`: when the scan happened on the device (ISO 8601 "
                                              "with offset). A time ahead of the server's, or more than 7 days "
                                              "behind it, counts as now; without `offline` the scan happens now."},
                "offline": {
                    "type": "object",
                    "required": ["result", "reason", "seats"],
                    "description": "The device decided this scan without the server: a refusal is recorded as shown "
                                   "and admits no one; an admission admits what is left, up to `seats`, and is a "
                                   "conflict if that falls short. Needs `scanned_at`. The result and reason are a "
                                   "pair the server itself answers (a Verdict's); seats is 0 unless admitted.",
                    "oneOf": [
                        _offline("admitted", reasons("admitted"), {"type": "integer", "minimum": 1, "maximum": SEATS_MAX}),
                        _offline("already_checked_in", reasons("already_checked_in"), {"const": 0}),
                        _offline("not_valid", reasons("not_valid"), {"const": 0}),
                    ],
                },
            },
        },
        "DoorCopy": {
            "type": "object",
            "required": ["screening", "is_cancelled", "taken_at", "tickets", "other_tickets", "other_screenings"],
            "properties": {
                "screening": {"type": "integer"},
                "is_cancelled": {"type": "boolean"},
                "taken_at": _TIME,
                "tickets": {"type": "array", "items": {
                    "type": "object",
                    "required": ["hash", "name", "seats", "admitted", "status"],
                    "properties": {
                        "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                                 "description": "SHA-256 of the ticket code (upper case, no dashes), hex."},
                        "name": {"type": "string"}, "seats": {"type": "integer"}, "admitted": {"type": "integer"},
                        "status": {"enum": ["confirmed", "waitlisted", "cancelled", "released", "unconfirmed"]},
                    },
                    "additionalProperties": False,
                }},
                "other_tickets": {"type": "object", "additionalProperties": {"type": "integer"},
                                  "description": "Hash of a code of the event's other screenings -> that screening's id."},
                "other_screenings": {"type": "object", "additionalProperties": {
                    "type": "object", "required": ["title", "starts_at"],
                    "properties": {"title": {"type": "string"}, "starts_at": _TIME}, "additionalProperties": False}},
            },
            "additionalProperties": False,
        },
        "Admission": {
            "type": "object",
            "required": ["checkin_id", "at", "seats", "staff", "device"],
            "properties": {
                "checkin_id": {"type": "integer"},
                "at": _TIME,
                "seats": {"type": "integer"},
                "staff": {"type": ["string", "null"]},
                "device": {"type": ["string", "null"]},
            },
            "additionalProperties": False,
        },
        "Verdict": {
            "type": "object",
            "required": ["result", "reason", "message", "checkin_id", "admitted_now", "ticket", "earlier", "offline", "conflict"],
            "properties": {
                "result": {"enum": ["admitted", "already_checked_in", "not_valid"]},
                "reason": {"enum": [reason for _result, reason in MESSAGES]},  # the door's words, once
                "message": {"type": "string"},
                "checkin_id": {"type": "integer"},
                "admitted_now": {"type": "integer", "minimum": 0},
                "ticket": {"oneOf": [{"type": "null"}, {
                    "type": "object",
                    "required": ["code", "short_code", "name", "seats", "admitted", "status", "screening"],
                    "properties": {
                        "code": {"type": "string"},
                        "short_code": {"type": "string"},
                        "name": {"type": "string"},
                        "seats": {"type": "integer"},
                        "admitted": {"type": "integer"},
                        "status": {"enum": ["confirmed", "waitlisted", "cancelled"]},
                        "screening": {
                            "type": "object",
                            "required": ["id", "title", "starts_at"],
                            "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "starts_at": _TIME},
                        },
                        "first_admitted_at": _NULLABLE_TIME,
                        "last_admitted_at": _NULLABLE_TIME,
                    },
                    "additionalProperties": False,
                }]},
                "earlier": {"type": "array", "items": _ref("Admission")},
                "offline": {"type": "boolean", "description": "The scan was decided on the device, offline."},
                "conflict": {"type": "boolean", "description": "The device let in more people offline than the "
                                                               "server could admit: the ticket was used or cancelled meanwhile."},
            },
            "additionalProperties": False,
        },
        "Undo": {
            "type": "object",
            "required": ["undone", "checkin_id", "seats"],
            "properties": {"undone": {"type": "integer"}, "checkin_id": {"type": "integer"}, "seats": {"type": "integer"}},
            "additionalProperties": False,
        },
        "WalkInRequest": {
            "type": "object",
            "properties": {
                "name": _name(required=False, note="Optional; \"Walk-in\" if empty or only spaces. "),
                "seats": {"type": "integer", "minimum": 1, "maximum": GUEST_SEATS_MAX, "default": 1},
            },
        },
        "WalkIn": {
            "type": "object",
            "required": ["registration", "seats_free"],
            "properties": {
                "registration": {
                    "type": "object",
                    "required": ["id", "name", "seats", "ticket_code", "short_code"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                   "seats": {"type": "integer", "minimum": 1},
                                   "ticket_code": {"type": "string", "pattern": "^[A-Z2-7]{26}$"},
                                   "short_code": {"type": "string"}},
                    "additionalProperties": False,
                },
                "seats_free": {"type": "integer", "minimum": 0},
            },
            "additionalProperties": False,
        },
        "TicketList": {
            "type": "object",
            "required": ["tickets"],
            "properties": {"tickets": {"type": "array", "items": {
                "type": "object",
                "required": ["short_code", "name", "seats", "admitted", "status"],
                "properties": {
                    "short_code": {"type": "string", "pattern": "^[A-Z2-7]{4}-[A-Z2-7]{4}$"}, "name": {"type": "string"},
                    "seats": {"type": "integer"}, "admitted": {"type": "integer"},
                    "status": {"enum": ["confirmed", "waitlisted", "cancelled", "unconfirmed"]},
                },
                "additionalProperties": False,
            }}},
        },
    }


def spec():
    """Return the OpenAPI document."""
    body = lambda name: {"required": True, "content": {"application/json": {"schema": _ref(name)}}}  # noqa: E731
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Festival ticketing API",
            "version": "1",
            "description": "Screenings, registrations and door check-in. Authenticate with a staff session "
                           "(send the CSRF token as X-CSRFToken on changes) or a device token.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"deviceToken": []}, {"staffSession": []}],
        "paths": {
            "/screenings": {"get": {
                "summary": "Every screening with its counts",
                "responses": {"200": _json({"type": "object", "required": ["screenings"], "properties": {
                    "screenings": {"type": "array", "items": {**_ref("Screening"), "unevaluatedProperties": False}}}},
                    "The screenings"),
                    **_errors(401)},
            }},
            "/screenings/{screening_id}": {"get": {
                "summary": "One screening with its counts and the door's pace",
                "parameters": [_ID_PARAM("screening_id")],
                "responses": {"200": _json({"allOf": [_ref("Screening")], "type": "object", "required": ["pace"],
                                            "properties": {"pace": {"type": "object", "required": ["minutes", "admitted"],
                                                                    "properties": {"minutes": {"type": "integer"}, "admitted": {"type": "integer"}}},
                                                           "questions": {"type": "array", "items": _ref("Question")}},
                                            "unevaluatedProperties": False}, "The screening"),
                              **_errors(401, 403, 404)},
            }},
            "/screenings/{screening_id}/registrations": {"post": {
                "summary": "Register a person (the rules of the public form)",
                "parameters": [_ID_PARAM("screening_id")],
                "requestBody": body("RegistrationRequest"),
                "responses": {"201": _json(_ref("Registration"), "Registered: confirmed or waitlisted"),
                              "200": _json(_ref("Registration"), "The same request again"),
                              **_errors(401, 403, 404, 409, 422)},
            }},
            "/screenings/{screening_id}/walkins": {"post": {
                "summary": "Seat and admit someone without a booking, on a free seat",
                "parameters": [_ID_PARAM("screening_id")],
                "requestBody": body("WalkInRequest"),
                "responses": {"201": _json(_ref("WalkIn"), "Seated and admitted"),
                              **_errors(401, 403, 404, 409, 422)},
            }},
            "/screenings/{screening_id}/tickets": {"get": {
                "summary": "Find tickets by part of the name, the whole e-mail address or the start of the code (short codes only, no e-mail, in the answer)",
                "parameters": [_ID_PARAM("screening_id"), {
                    "name": "q", "in": "query", "schema": {"type": "string"},
                    "description": f"At least {SEARCH_MIN} characters (fewer, or more than 200, find no one)."}],
                "responses": {"200": _json(_ref("TicketList"), f"Up to {SEARCH_RESULTS} tickets, by name"), **_errors(401, 403, 404, 429)},
            }},
            "/screenings/{screening_id}/door-copy": {"get": {
                "summary": "The tickets a door device keeps to decide scans offline (codes as hashes only)",
                "parameters": [_ID_PARAM("screening_id")],
                "responses": {"200": _json(_ref("DoorCopy"), "The copy"), **_errors(401, 403, 404)},
            }},
            "/checkins": {"post": {
                "summary": "Scan a ticket at a screening's door",
                "requestBody": body("CheckInRequest"),
                "responses": {"200": _json(_ref("Verdict"), "The verdict (every scan is logged)"),
                              **_errors(401, 403, 404, 409, 422, 429)},
            }},
            "/checkins/{checkin_id}/undo": {"post": {
                "summary": "Take back an admission (logged)",
                "description": "Allowed to the staff login or device that made the admission, within "
                               f"{UNDO_WINDOW // timedelta(minutes=1)} minutes "
                               "of its being recorded, and to an admin at any time; otherwise, or for a scan that "
                               "admitted no one or was undone already, 409 `undo_refused`.",
                "parameters": [_ID_PARAM("checkin_id")],
                "responses": {"200": _json(_ref("Undo"), "Undone"), **_errors(401, 403, 404, 409)},
            }},
            "/openapi.json": {"get": {
                "summary": "This document", "security": [],
                "responses": {"200": {"description": "The OpenAPI document", "content": {"application/json": {}}},
                              **_errors()},
            }},
        },
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "deviceToken": {"type": "http", "scheme": "bearer", "description": "Created with `flask devices create NAME`."},
                "staffSession": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }
