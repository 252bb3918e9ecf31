"""The access matrix: every staff page and API endpoint, tried by every kind of caller.

Rows for the back office live beside this file in access_*.py modules (a ROWS list each, in the
MATRIX's shape). The `callers` fixture sets up: event 1 with screenings 1 and 2; registration 1
(confirmed, in screening 1); users 1 (door) and 2 (admin); devices 1 (revoked), 2 and 3.
"""
import importlib
from pathlib import Path

import pytest

from factories import PASSWORD
from pages import hidden
from ticketing.services import booking
from ticketing.services.accounts import create_device, create_user, revoke_device

CALLERS = ("anonymous", "door", "admin", "revoked_token", "token")

# (method, path, json body or None) -> expected status per caller, in CALLERS' order.
MATRIX = [
    ("GET", "/staff/login", None, (200, 200, 200, 200, 200)),
    ("POST", "/staff/login", {"email": "door@example.org", "password": "wrong password"}, (422, 422, 422, 422, 422)),
    ("POST", "/staff/logout", {}, (303, 303, 303, 303, 303)),
    ("POST", "/staff/sessions/end-others", {}, (302, 303, 303, 302, 302)),
    ("GET", "/staff/", None, (302, 200, 200, 302, 302)),
    ("GET", "/staff/door/1", None, (302, 200, 200, 302, 302)),
    ("POST", "/staff/door/1", {"code": "NOPE"}, (302, 200, 200, 302, 302)),
    ("GET", "/staff/devices", None, (302, 403, 200, 302, 302)),
    ("POST", "/staff/devices", {"name": "New phone"}, (302, 403, 200, 302, 302)),
    ("POST", "/staff/devices/1/revoke", {}, (302, 403, 303, 302, 302)),
    ("GET", "/api/v1/openapi.json", None, (200, 200, 200, 401, 200)),
    ("GET", "/api/v1/screenings", None, (401, 200, 200, 401, 200)),
    ("GET", "/api/v1/screenings/1", None, (401, 200, 200, 401, 200)),
    ("GET", "/api/v1/screenings/1/tickets?q=ana", None, (401, 200, 200, 401, 200)),
    ("POST", "/api/v1/screenings/1/registrations", {"name": "Ana", "email": "a@example.org"}, (401, 403, 201, 401, 201)),
    ("POST", "/api/v1/checkins", {"code": "NOPE", "screening": 1}, (401, 200, 200, 401, 200)),
    ("POST", "/api/v1/checkins/999/undo", {}, (401, 404, 404, 401, 404)),
    ("POST", "/api/v1/screenings/1/walkins", {"name": "Walk-in"}, (401, 201, 201, 401, 201)),
]
MATRIX += [
    row
    for module in sorted(Path(__file__).parent.glob("access_*.py"))
    for row in importlib.import_module(module.stem).ROWS
]


@pytest.fixture
def database_url(sqlite_url):
    """Who may call what is decided before any query that differs between the databases: the
    matrix runs on SQLite only (test_fuzz calls every route on PostgreSQL too)."""
    return sqlite_url


@pytest.fixture
def callers(app, make_screening):
    """A test client per kind of caller, and how to send a request as each."""
    first = make_screening(capacity=50)
    make_screening(title="Second film")
    with app.app_context():
        booking.book(first, "Ana Attendee", "ana@example.org")
        create_user("door@example.org", "door", PASSWORD)
        create_user("admin@example.org", "admin", PASSWORD)
        revoked, revoked_token = create_device("Lost phone")
        revoke_device(revoked.id)
        create_device("Spare phone")  # device 2: revoking device 1 works once per test
        token = create_device("Door phone")[1]
    clients, tokens = {}, {"revoked_token": revoked_token, "token": token}
    for caller in CALLERS:
        client = app.test_client()
        if caller in ("door", "admin"):
            page = client.get("/staff/login").get_data(as_text=True)
            client.post("/staff/login", data={"email": f"{caller}@example.org", "password": PASSWORD,
                                              "csrf_token": hidden(page, "csrf_token")})
        clients[caller] = client

    def send(caller, method, path, body):
        client = clients[caller]
        if body and "email" in body:
            body = dict(body, email=f"{caller}.{body['email']}")  # each caller registers someone new
        csrf = hidden(client.get("/staff/login").get_data(as_text=True), "csrf_token")
        headers = {"X-CSRFToken": csrf}
        if caller in tokens:
            headers["Authorization"] = f"Bearer {tokens[caller]}"
        if path.startswith("/api/"):
            return client.open(path, method=method, json=body, headers=headers)
        data = dict(body or {}, csrf_token=csrf) if method == "POST" else None
        return client.open(path, method=method, data=data, headers=headers)

    return send


@pytest.mark.parametrize("method,path,body,expected", MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_access_matrix(callers, method, path, body, expected):
    got = tuple(callers(caller, method, path, body).status_code for caller in CALLERS)
    assert got == expected, dict(zip(CALLERS, got))


def test_every_route_is_in_the_matrix(app):
    tried = {(method, path.split("?")[0]) for method, path, _, _ in MATRIX}
    for rule in app.url_map.iter_rules():
        # staff.vendor serves public front-end files (the camera decoder), like /static.
        if not rule.rule.startswith(("/staff", "/api", "/admin")) or rule.endpoint == "staff.vendor":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert any(m == method and _matches(rule.rule, p) for m, p in tried), f"{method} {rule.rule} is not in the matrix"


def _matches(pattern, path):
    import re

    regex = re.sub(r"<[^>]+>", r"[^/]+", pattern)
    return re.fullmatch(regex, path) is not None
