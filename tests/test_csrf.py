"""CSRF: every state-changing route refuses a request without a valid token, and nothing changes.

The routes come from app.url_map (POST, PUT, PATCH, DELETE), so a new route without a case
below fails test_every_state_changing_route_has_a_case. Each case is a request that does change
something when it carries the token (the control, sent last); without a token, or with the token
of another session, the same request is refused and the database and instance/ stay as they were.
The API takes a staff session only with the X-CSRFToken header, or a device token; nothing else.
GET requests change nothing at all (a GET cannot carry a token).
"""
import io
from pathlib import Path
from types import SimpleNamespace

import pytest

from attack_support import (
    GIF, PASSWORD, STATE_CHANGING, build_world, changed_tables, default_arguments, fill, logged_in, routes,
    snapshot,
)
from ticketing.extensions import db
from ticketing.models import OutboxMessage, utcnow

SCREENING = {"title": "New film", "starts_at": "2031-05-01T19:30", "capacity": "40", "max_seats": "2"}
# Buttons whose refusal goes back to their page with a message (303), as their success does.
REFUSED_WITH_A_REDIRECT = {"staff.logout", "admin.outbox_retry", "admin.outbox_retry_failed",
                           "staff.end_other_sessions", "admin.user_sessions_end", "admin.question_remove"}
# Look-ups sent by POST (an e-mail address stays out of URLs and logs): they change nothing, so
# their control shows what they find instead; a refused one shows none of it.
READS_BY_POST = {"admin.privacy": "Data stored about", "admin.privacy_erase": "Erase the data of"}


def cases(world):
    """endpoint -> (caller, body): a request that changes something when it carries a valid token.

    caller is anonymous, door or admin (forms) or api (JSON, sent by a staff session). A body value
    that is a (bytes, name) tuple is a file.
    """
    return {
        "public.screening": ("anonymous", {"name": "Cem New", "email": "cem@example.org", "seats": "1"}),
        "public.cancel": ("anonymous", {}),
        "public.free_seats": ("anonymous", {"seats": "1", "seats_seen": "1"}),
        "public.vote": ("anonymous", {"code": world.bo_code[:8], "choice": "5"}),
        "public.ticket_vote": ("anonymous", {"choice": "4"}),
        "staff.login": ("anonymous", {"email": "admin@example.org", "password": PASSWORD}),
        "staff.logout": ("door", {}),
        "staff.end_other_sessions": ("door", {}),
        "staff.door": ("door", {"code": world.code}),
        "staff.door_walkin": ("door", {"name": "Walk-in two", "seats": "1"}),
        "staff.devices": ("admin", {"name": "New phone"}),
        "staff.revoke_device": ("admin", {}),
        "admin.event_new": ("admin", {"name": "New fest", "slug": "new-fest", "timezone": "UTC"}),
        "admin.event": ("admin", {"name": "Renamed", "slug": "fest", "timezone": "Europe/Brussels"}),
        "admin.event_publish": ("admin", {"value": "0"}),
        "admin.screening_new": ("admin", SCREENING),
        "admin.screening_edit": ("admin", {**SCREENING, "title": "Renamed film", "capacity": "35", "max_seats": "4"}),
        "admin.screening_publish": ("admin", {"value": "0"}),
        "admin.screening_cancel": ("admin", {}),
        "admin.screening_poster": ("admin", {"poster": (GIF, "poster.gif"), "upload": "Upload the poster"}),
        "admin.event_picture": ("admin", {"logo": (GIF, "logo.gif"), "upload": "Upload the logo"}),
        "admin.texts": ("admin", {"note": "Une note en français"}),
        "admin.questions": ("admin", {"label": "Where do you live?", "kind": "country"}),
        "admin.question": ("admin", {"label": "Are you a student now?", "kind": "yes_no"}),
        "admin.question_remove": ("admin", {}),
        "admin.votes": ("admin", {"kind": "rating", "opens_at": "2030-01-01T10:00", "closes_at": "2030-01-01T12:00"}),
        "admin.vote": ("admin", {"kind": "rating", "opens_at": "2030-01-01T10:00", "closes_at": "2030-01-01T12:00",
                                 "results_public": "y"}),
        "public.find_ticket": ("anonymous", {"email": "ana@example.org"}),
        "admin.registration_resend": ("admin", {}),
        "admin.registration_cancel": ("admin", {}),
        "admin.registration_move": ("admin", {"to_screening": str(world.other_screening_id)}),
        "admin.registration_checkin": ("admin", {"seats": "1"}),
        "admin.guest_new": ("admin", {"name": "Press Person", "email": "", "seats": "1", "note": "", "language": "en"}),
        "admin.guest_import": ("admin", {"file": (b"name,seats\nImported Two,1\n", "guests.csv")}),
        "admin.guest_import_confirm": ("admin", {}),
        "admin.screening_message": ("admin", {"subject": "Doors open late", "body": "At 19:45.",
                                              "audience": "confirmed", "form_key": "k" * 32, "send": "1"}),
        "admin.outbox_retry": ("admin", {}),
        "admin.outbox_retry_failed": ("admin", {}),
        "admin.user_new": ("admin", {"email": "new.staff@example.org", "role": "door", "password": PASSWORD}),
        "admin.user_edit": ("admin", {"role": "admin", "is_active": "y"}),
        "admin.user_password": ("admin", {"password": "another long enough secret"}),
        "admin.user_sessions_end": ("admin", {}),
        "admin.privacy": ("admin", {"email": "ana@example.org"}),
        "admin.privacy_export": ("admin", {"email": "ana@example.org"}),
        "admin.privacy_erase": ("admin", {"email": "ana@example.org"}),
        "admin.privacy_erase_confirm": ("admin", {"email": "ana@example.org"}),
        "api.register": ("api", {"name": "Api Person", "email": "api@example.org", "seats": 1}),
        "api.check_in": ("api", {"code": world.code, "screening": world.screening_id}),
        "api.walk_in": ("api", {"name": "Api walk-in", "seats": 1}),
        "api.undo": ("api", {}),
    }


def state_changing_routes(app):
    return [(endpoint, method, rule) for endpoint, method, rule in routes(app) if method in STATE_CHANGING]


def _instance_files(app):
    root = Path(app.instance_path)
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*") if p.is_file()
                  and not p.name.startswith("test.sqlite3"))


def _state(app):
    return snapshot(app), _instance_files(app)


def _differences(app, before):
    db_before, files_before = before
    db_after, files_after = _state(app)
    found = changed_tables(db_before, db_after)
    if files_before != files_after:
        found.append("instance/ files")
    return found


@pytest.fixture
def database_url(sqlite_url):
    """A refused token is decided before the database is touched, and "nothing changed" compares
    snapshots the same way on either: these tests run on SQLite only (test_fuzz sends every route
    garbage tokens on PostgreSQL too)."""
    return sqlite_url


@pytest.fixture
def world(app):
    found = build_world(app)
    with app.app_context():  # a message the sender gave up on, for the retry buttons
        message = db.session.get(OutboxMessage, found.outbox_id)
        message.failed_at, message.attempts = utcnow(), 8
        db.session.commit()
    return found


def test_every_state_changing_route_has_a_case(app):
    known = cases(STUB)
    missing = [f"{method} {rule} ({endpoint})" for endpoint, method, rule in state_changing_routes(app)
               if endpoint not in known]
    assert not missing, "state-changing routes without a CSRF case in tests/test_csrf.py: " + ", ".join(missing)


def _form(body):
    return {name: (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
            for name, value in body.items()}


def _client(app, world, caller):
    if caller == "anonymous":
        client = app.test_client()
        return client, _anonymous_token(client, world)
    user = world.door_id if caller == "door" else world.admin_id
    return logged_in(app, user)


def _anonymous_token(client, world):
    from pages import hidden

    return hidden(client.get(f"/screenings/{world.screening_id}").get_data(as_text=True), "csrf_token")


def _logged_in_as(client):
    """The staff user the client's session belongs to, or None."""
    response = client.get("/staff/")
    return None if response.status_code == 302 else response.status_code


STUB = SimpleNamespace(code="", bo_code="", screening_id=1, other_screening_id=2)  # enough to list the cases
FORM_CASES = sorted(name for name, (caller, _body) in cases(STUB).items() if caller != "api")
API_CASES = sorted(name for name, (caller, _body) in cases(STUB).items() if caller == "api")


def _rule(app, endpoint):
    [(method, rule)] = [(m, r) for e, m, r in state_changing_routes(app) if e == endpoint]
    return method, rule


@pytest.mark.parametrize("endpoint", FORM_CASES)
def test_a_form_without_a_valid_token_is_refused_and_changes_nothing(app, world, endpoint):
    method, rule = _rule(app, endpoint)
    caller, body = cases(world)[endpoint]
    path = fill(rule, default_arguments(world, endpoint))
    client, token = _client(app, world, caller)
    _other_client, other_token = _client(app, world, caller)
    was_logged_in = _logged_in_as(client)
    found_text = READS_BY_POST.get(endpoint)
    for label, extra in (("no token", {}), ("another session's token", {"csrf_token": other_token}),
                         ("a made-up token", {"csrf_token": "IjAwMDAi.AAAAAA.forged"})):
        before = _state(app)
        response = client.open(path, method=method, data=_form({**body, **extra}))
        assert response.status_code < 500
        if endpoint in REFUSED_WITH_A_REDIRECT:
            assert response.status_code in (303, 400, 403, 422), (label, response.status_code)
        else:
            assert 400 <= response.status_code < 500, (label, response.status_code)
        assert _differences(app, before) == [], f"{method} {path} with {label} changed them"
        assert _logged_in_as(client) == was_logged_in, f"{method} {path} with {label} changed the login"
        if found_text:
            assert found_text not in response.get_data(as_text=True), f"{method} {path} with {label} answered"
    # The control: the same request with the session's token does change something (or finds it).
    before = _state(app)
    response = client.open(path, method=method, data=_form({**body, "csrf_token": token}))
    assert response.status_code < 400, (response.status_code, response.get_data(as_text=True)[:300])
    if found_text:
        assert found_text in response.get_data(as_text=True), f"the control request {method} {path} found nothing"
        return
    changed = _differences(app, before) or (_logged_in_as(client) != was_logged_in)
    assert changed, f"the control request {method} {path} changed nothing: the case needs a body that works"


@pytest.mark.parametrize("endpoint", API_CASES)
def test_the_api_refuses_a_session_without_the_csrf_header_and_callers_without_credentials(app, world, endpoint):
    method, rule = _rule(app, endpoint)
    _caller, body = cases(world)[endpoint]
    path = fill(rule, default_arguments(world, endpoint))
    admin, token = logged_in(app, world.admin_id)
    _other, other_token = logged_in(app, world.admin_id)
    anonymous = app.test_client()
    attempts = [
        ("a session without the header", admin, {}, 403, "csrf_failed"),
        ("a session with another session's token", admin, {"X-CSRFToken": other_token}, 403, "csrf_failed"),
        ("a session with the token in the body only", admin, {}, 403, "csrf_failed"),
        ("no credentials", anonymous, {}, 401, "unauthorized"),
        ("no credentials but a token", anonymous, {"X-CSRFToken": token}, 401, "unauthorized"),
        ("an unknown device token", anonymous, {"Authorization": "Bearer " + "x" * 43}, 401, "unauthorized"),
        ("an empty bearer", anonymous, {"Authorization": "Bearer "}, 401, "unauthorized"),
        ("basic credentials", anonymous, {"Authorization": "Basic YWRtaW46cGFzcw=="}, 401, "unauthorized"),
    ]
    for label, client, headers, status, kind in attempts:
        sent = dict(body, csrf_token=token) if "body only" in label else body
        before = _state(app)
        response = client.open(path, method=method, json=sent, headers=headers)
        assert (response.status_code, response.get_json()["error"]["kind"]) == (status, kind), label
        assert _differences(app, before) == [], f"{method} {path} with {label} changed them"
    before = _state(app)
    response = admin.open(path, method=method, json=body, headers={"X-CSRFToken": token})
    assert response.status_code < 400, response.get_json()
    assert _differences(app, before), f"the control request {method} {path} changed nothing"


@pytest.mark.parametrize("endpoint", API_CASES)
def test_a_device_token_needs_no_csrf_header(app, world, endpoint):
    """A bearer token is never sent by a browser on its own: it is the credential."""
    method, rule = _rule(app, endpoint)
    body = cases(world)[endpoint][1]
    before = _state(app)
    response = app.test_client().open(fill(rule, default_arguments(world, endpoint)), method=method, json=body,
                                      headers={"Authorization": f"Bearer {world.device_token}"})
    assert response.status_code < 400, response.get_json()
    assert _differences(app, before)


@pytest.mark.pdf  # renders PDF tickets (a page's download, or a ticket e-mail's attachment)
@pytest.mark.slow  # a sweep of every page or a thread race: in the whole suite, not the quick one
def test_get_requests_change_nothing(app, world):
    """No GET route acts: a link or an image on another site cannot change anything."""
    admin, _token = logged_in(app, world.admin_id)
    door, _token = logged_in(app, world.door_id)
    anonymous = app.test_client()
    for endpoint, method, rule in routes(app):
        if method != "GET":
            continue
        path = fill(rule, default_arguments(world, endpoint))
        for client in (anonymous, door, admin):
            before = _state(app)
            response = client.get(path)
            assert response.status_code < 500, path
            assert _differences(app, before) == [], f"GET {path} changed them"
