"""Logs: one JSON line per record in production, readable lines otherwise, no personal data.

The log calls themselves carry no names, e-mail addresses, codes or secrets (checked on the raw
records of a whole journey, on both databases); the redactor masks what an exception lets slip.
"""
import json
import logging
import secrets
import sys
from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa

from conftest import empty_postgres, make_test_app
from factories import PASSWORD
from mail_support import Inbox, SMTPServer
from pages import hidden, signup
from ticketing import create_app, logs
from ticketing.extensions import db
from ticketing.models import Event, Registration, Screening, Ticket, utcnow
from ticketing.services import accounts, mailer, tickets

NAME = "Zofia Łukasik-Testperson"
EMAIL = "zofia.private@example.org"
OTHER_NAME = "Ødegård Waitlisted"
OTHER_EMAIL = "odegard.private@example.net"


@pytest.fixture
def database_url(sqlite_url):
    """Most tests here do not depend on the database: SQLite only (the journey runs on both)."""
    return sqlite_url


def record(message, *args, level=logging.INFO, exc_info=None, fields=None):
    entry = logging.LogRecord("ticketing.test", level, __file__, 1, message, args, exc_info)
    if fields is not None:
        entry.fields = fields
    return entry


# --- the redactor ---------------------------------------------------------------------------------

def test_redact_masks_every_kind_of_private_value():
    code, secret, device = tickets.new_code(), tickets.new_secret(), secrets.token_urlsafe(32)
    text = (f"to {EMAIL} code {code} short {tickets.short_code(code)} at /r/{secret}/ticket.pdf "
            f"with Authorization: Bearer {device} and password=hunter2 csrf_token=abc.def "
            f"for /api/v1/screenings/3/tickets?q=Zofia+%C5%81 and a stray {secret}")
    masked = logs.redact(text)
    for private in (EMAIL, code, tickets.short_code(code), secret, device, "hunter2", "abc.def", "q=Zofia"):
        assert private not in masked, private
    assert "/r/<redacted>/ticket.pdf" in masked and "/api/v1/screenings/3/tickets?<redacted>" in masked
    assert "<email>" in masked and "<code>" in masked


def test_redact_drops_postgresqls_detail_lines_which_quote_whole_rows(postgres_url):
    """A failed statement's DETAIL names the row's values (a name no pattern could recognise)."""
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute("CREATE TEMPORARY TABLE people (name text, seats int CHECK (seats > 0))")
        with pytest.raises(psycopg.errors.CheckViolation) as error:
            connection.execute("INSERT INTO people VALUES (%s, 0)", (NAME,))
    assert NAME in str(error.value)  # the driver's message quotes it...
    masked = logs.redact(f"unhandled error\nTraceback …\n{error.value}")
    assert NAME not in masked and "DETAIL: <redacted>" in masked  # ...the log line does not
    assert "violates check constraint" in masked  # what went wrong stays readable


@pytest.mark.parametrize("ordinary", [
    "GET /e/<slug> 200",
    "GET /r/<secret> 404",
    "Booting worker with pid: 12345",
    "Listening at: http://127.0.0.1:8000 (4321)",
    "E-mail 12 (confirmation) failed: SMTP 550",
    "request 0f3a9c2e5b7d4e6f8a1b2c3d4e5f6a7b",  # a request id: hex, no capitals
    "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) connection failed",
])
def test_redact_leaves_ordinary_lines_alone(ordinary):
    assert logs.redact(ordinary) == ordinary


# --- the formatters -------------------------------------------------------------------------------

def test_json_lines_carry_the_fields_and_no_private_value():
    try:
        raise ValueError(f"cannot book for {EMAIL}")
    except ValueError:
        line = logs.JSONFormatter().format(record("Booking %s failed", 7, level=logging.ERROR,
                                                  exc_info=sys.exc_info(), fields={"status": 500, "note": EMAIL}))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "ticketing.test" and entry["message"] == "Booking 7 failed"
    assert entry["time"].endswith("+00:00") and isinstance(entry["pid"], int) and entry["status"] == 500
    assert "ValueError: cannot book for <email>" in entry["exception"] and entry["note"] == "<email>"
    assert EMAIL not in line


def test_readable_lines_in_development_are_redacted_too():
    line = logs.TextFormatter().format(record("mail to %s", EMAIL, fields={"status": 200}))
    assert line.endswith("INFO ticketing.test: mail to <email> [status=200]")


def test_each_app_installs_one_handler_json_in_production_only(sqlite_url, tmp_path):
    def ours():
        return [h for h in logging.getLogger().handlers if getattr(h, logs._MARK, False)]

    make_test_app(sqlite_url, tmp_path)
    make_test_app(sqlite_url, tmp_path)
    assert len(ours()) == 1 and isinstance(ours()[0].formatter, logs.TextFormatter)
    try:
        create_app({"TICKETING_ENV": "production", "DATABASE_URL": sqlite_url, "SECRET_KEY": "k" * 40,
                    "PUBLIC_URL": "https://tickets.example.org", "SESSION_COOKIE_SECURE": True, "TRUSTED_PROXIES": 1})
        assert len(ours()) == 1 and isinstance(ours()[0].formatter, logs.JSONFormatter)
    finally:
        make_test_app(sqlite_url, tmp_path)  # readable lines again for the tests that follow
    assert len(ours()) == 1 and isinstance(ours()[0].formatter, logs.TextFormatter)


# --- one line per request -------------------------------------------------------------------------

def test_each_request_is_logged_with_its_route_template_status_and_id(app, client, make_screening, caplog):
    signup(client, make_screening(), name=NAME, email=EMAIL, seats="1")
    with app.app_context():
        secret = db.session.scalar(sa.select(Registration.secret))
    caplog.set_level(logging.INFO, logger="ticketing.request")
    caplog.clear()
    response = client.get(f"/r/{secret}?from={EMAIL}")
    assert response.status_code == 200
    [line] = [r for r in caplog.records if r.name == "ticketing.request"]
    assert line.getMessage() == "GET /r/<secret> 200"
    assert line.fields["status"] == 200 and line.fields["duration_ms"] >= 0
    assert len(response.headers["X-Request-ID"]) == 32


def test_records_inside_a_request_name_its_route_not_its_path(app):
    with app.test_request_context(f"/r/{tickets.new_secret()}?email={EMAIL}"):
        app.preprocess_request()
        line = logs.JSONFormatter().format(record("inside a request"))
    entry = json.loads(line)
    assert entry["method"] == "GET" and entry["route"] == "/r/<secret>" and len(entry["request_id"]) == 32
    assert EMAIL not in line and line.count("/r/") == 1


def test_unmatched_paths_are_logged_without_them(client, caplog):
    caplog.set_level(logging.INFO, logger="ticketing.request")
    assert client.get(f"/nothing/{EMAIL}").status_code == 404
    assert [r.getMessage() for r in caplog.records if r.name == "ticketing.request"] == ["GET (no route) 404"]


def test_an_unhandled_error_is_logged_with_private_values_masked(app, caplog):
    @app.route("/boom")
    def boom():
        raise RuntimeError(f"cannot mail {EMAIL} the code {tickets.new_code()}")

    caplog.set_level(logging.ERROR)
    assert app.test_client().get("/boom").status_code == 500
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    line = logs.JSONFormatter().format(error)
    assert "RuntimeError: cannot mail <email> the code <code>" in json.loads(line)["exception"]
    assert EMAIL not in line


# --- e-mail: the development preview, and failures ------------------------------------------------

@pytest.mark.pdf  # renders PDF tickets (a page's download, or a ticket e-mail's attachment)
def test_flask_outbox_shows_messages_on_the_console_in_development_only(app, make_screening, caplog):
    caplog.set_level(logging.DEBUG)
    sid = make_screening(title="Film")
    signup(app.test_client(), sid, name=NAME, email=EMAIL, seats="1")
    signup(app.test_client(), sid, name=OTHER_NAME, email=OTHER_EMAIL, seats="1")
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["outbox", "send", "--limit", "1"])
    assert shown.exit_code == 0 and f"To: {EMAIL}" in shown.stderr and f"Hello {NAME}" in shown.stderr
    app.config["TICKETING_ENV"] = "production"
    quiet = runner.invoke(args=["outbox", "send"])
    assert quiet.exit_code == 0 and "1 sent" in quiet.output
    assert OTHER_EMAIL not in quiet.output and OTHER_NAME not in quiet.output
    for entry in caplog.records:  # the preview is console output, never a log record
        assert EMAIL not in entry.getMessage() and NAME not in entry.getMessage()


def test_a_failed_message_is_logged_by_id_kind_and_error_type_only(app, inbox, make_screening, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="ticketing.mail")
    signup(app.test_client(), make_screening(), name=NAME, email=EMAIL, seats="1")

    def broken(*args):
        raise ValueError(f"cannot write to {NAME} <{EMAIL}>")

    monkeypatch.setattr(mailer, "compose", broken)
    with app.app_context():
        assert mailer.send_due().retrying == 1
        # The organizers' page keeps the error's words, the address masked (the row names its recipient).
        assert mailer.listing("waiting")[0].last_error == f"ValueError: cannot write to {NAME} <<address>>"
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "E-mail 1 (confirmation) failed: ValueError"]


# --- a whole journey: the raw records hold no personal data ---------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def journey_app(request, tmp_path):
    """An app on an empty database of each kind (database errors word things differently)."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    app = make_test_app(url, tmp_path)
    handler = Inbox()
    server = SMTPServer(handler, hostname="127.0.0.1", port=0)
    server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, PUBLIC_URL="https://tickets.example.org")
    yield app, handler
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.pdf
@pytest.mark.slow  # a sweep of every page or a thread race: in the whole suite, not the quick one
def test_no_personal_data_in_the_records_of_a_whole_journey(journey_app, caplog):
    app, inbox = journey_app
    caplog.set_level(logging.DEBUG)
    private = journey(app, inbox)
    assert {"ticketing.request", "ticketing.mail"} <= {entry.name for entry in caplog.records}
    formatter = logs.JSONFormatter()
    for entry in caplog.records:
        if entry.name.startswith("mail.log"):
            continue  # the test's own SMTP server (aiosmtpd), not the app
        raw = entry.getMessage() + (formatter.formatException(entry.exc_info) if entry.exc_info else "")
        leaked = [value for value in private if value in raw]
        assert not leaked, (leaked, entry.name, raw)
        json.loads(formatter.format(entry))


def journey(app, inbox):
    """Sign up (confirmed, waiting list, again), open the ticket in every form, cancel, register and
    check in through the API, log in (wrongly, then rightly), send the e-mails (one refused);
    return the private values that went through."""
    with app.app_context():
        event = Event(slug="fest", name="Festival", timezone="Europe/Brussels", venue="Hall")
        db.session.add(event)
        db.session.flush()
        screening = Screening(event_id=event.id, title="Film", starts_at=utcnow() + timedelta(days=5),
                              capacity=3, max_seats=2)
        db.session.add(screening)
        db.session.commit()
        sid = screening.id
        accounts.create_user("door.person@example.org", "admin", PASSWORD)
        token = accounts.create_device("Door phone")[1]
    client = app.test_client()
    csrf = hidden(client.get(f"/screenings/{sid}").get_data(as_text=True), "csrf_token")
    assert signup(client, sid, name=NAME, email=EMAIL, seats="1").status_code == 303
    assert signup(app.test_client(), sid, name="Third Person", email="third@example.com", seats="2").status_code == 303
    assert signup(app.test_client(), sid, name=OTHER_NAME, email=OTHER_EMAIL, seats="1").status_code == 303  # waits
    assert signup(app.test_client(), sid, name=NAME, email=EMAIL, seats="1").status_code == 303  # again
    with app.app_context():
        secret, code = db.session.execute(
            sa.select(Registration.secret, Ticket.code).join(Ticket).where(Registration.email == EMAIL)).one()
        third = db.session.scalar(sa.select(Registration.secret).where(Registration.email == "third@example.com"))
    for suffix in ("", "/ticket.png", "/ticket.pdf", "/calendar.ics"):
        assert client.get(f"/r/{secret}{suffix}").status_code == 200
    assert client.get(f"/r/{tickets.new_secret()}").status_code == 404
    canceller = app.test_client()
    form = canceller.get(f"/r/{third}/cancel").get_data(as_text=True)
    assert canceller.post(f"/r/{third}/cancel", data={"csrf_token": hidden(form, "csrf_token")}).status_code == 303
    bearer = {"Authorization": f"Bearer {token}"}
    api = client.post(f"/api/v1/screenings/{sid}/registrations", headers=bearer,
                      json={"name": "Api Person", "email": "api.person@example.com", "seats": 1})
    assert api.status_code in (200, 201), api.get_data(as_text=True)
    assert client.get(f"/api/v1/screenings/{sid}/tickets?q={NAME}", headers=bearer).status_code == 200
    for _ in range(2):  # admitted, then already checked in
        assert client.post("/api/v1/checkins", headers=bearer, json={"code": code, "screening": sid}).status_code == 200
    staff = app.test_client()
    login = hidden(staff.get("/staff/login").get_data(as_text=True), "csrf_token")
    for password in ("wrong " + PASSWORD, PASSWORD):
        staff.post("/staff/login", data={"email": "door.person@example.org", "password": password, "csrf_token": login})
    with app.app_context():
        assert mailer.send_due().sent >= 4
    inbox.answer = "550 5.1.1 <late.person@example.com> No such user here"
    assert signup(app.test_client(), sid, name="Late Person", email="late.person@example.com", seats="1").status_code == 303
    with app.app_context():
        assert mailer.send_due().retrying == 1
    app.config["MAIL_SERVER"] = None  # kept in instance/outbox/, and its path logged
    assert signup(app.test_client(), sid, name="Folder Person", email="folder.person@example.com", seats="1").status_code == 303
    with app.app_context():
        assert mailer.send_due().sent == 1
    return ["Folder Person", "folder.person@example.com", NAME, EMAIL, OTHER_NAME, OTHER_EMAIL, "Third Person", "third@example.com", "Api Person",
            "api.person@example.com", "door.person@example.org", "Late Person", "late.person@example.com",
            secret, third, code, tickets.short_code(code), token, PASSWORD, csrf, login]
