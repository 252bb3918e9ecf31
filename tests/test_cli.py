"""The command line of DESIGN.md's contract."""
from datetime import date, datetime, timezone

import sqlalchemy as sa

from ticketing.demo import festival_monday
from ticketing.extensions import db
from ticketing.models import AuditEntry, Event, Screening


def test_demo_loads_the_festival_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and "Days of Kazakh Cinema" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "not loaded" in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1
        titles = db.session.scalars(sa.select(Screening.title).order_by(Screening.starts_at)).all()
        originals = set(db.session.scalars(sa.select(Screening.original_title)))
    assert titles.count("Baqyt Qushağynda") == 2 and "Myn Bala: Warriors of the Steppe" in titles
    assert {"Бақыт құшағында", "Мың бала"} == originals


def test_demo_week_is_ahead_and_starts_on_a_monday():
    monday = festival_monday(date(2026, 11, 27))
    assert monday.weekday() == 0 and (monday - date(2026, 11, 27)).days >= 21


def test_screenings_create_prints_the_id_last_and_stores_utc(app, make_event):
    make_event(timezone="Europe/Brussels")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["screenings", "create", "--title", "Myn Bala", "--starts-at", "2030-07-10 20:30", "--capacity", "80", "--max-seats", "3"])
    assert result.exit_code == 0, (result.output, __import__("traceback").format_exception(*result.exc_info))
    screening_id = int(result.output.strip().splitlines()[-1])
    with app.app_context():
        screening = db.session.get(Screening, screening_id)
        assert screening.starts_at == datetime(2030, 7, 10, 18, 30, tzinfo=timezone.utc)
        assert (screening.capacity, screening.max_seats) == (80, 3)
        assert screening.is_published  # the command line publishes at once, unlike the back office
        assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.subject_id == screening_id)) == "screening.create"


def test_screenings_create_refuses_bad_values(app, make_event):
    make_event()
    runner = app.test_cli_runner()
    cases = [
        (["--starts-at", "2030-03-31 02:30", "--capacity", "5"], "does not exist"),  # skipped by DST
        (["--starts-at", "tomorrow", "--capacity", "5"], "not a time like"),
        (["--starts-at", "2030-07-10 20:30", "--capacity", "-1"], "The capacity must be a whole number from 0"),
        (["--starts-at", "2030-07-10 20:30", "--capacity", "5", "--event", "nope"], "No event has the slug"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["screenings", "create", "--title", "X", *args])
        assert result.exit_code != 0 and message in result.output, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Screening)) == 0


def test_screenings_create_needs_an_event_when_several(app, make_event):
    make_event(slug="one")
    make_event(slug="two")
    result = app.test_cli_runner().invoke(args=["screenings", "create", "--title", "X", "--starts-at", "2030-07-10 20:30", "--capacity", "5"])
    assert result.exit_code != 0 and "several events" in result.output


def test_demo_creates_an_admin_and_prints_its_login_once(app):
    from ticketing.services.accounts import authenticate

    output = app.test_cli_runner().invoke(args=["demo"]).output
    line = [l for l in output.splitlines() if l.startswith("Staff login")][0]
    email, password = line.split(": ", 1)[1].split(" / ")
    with app.app_context():
        assert authenticate(email, password).role == "admin"
    assert "Staff login" not in app.test_cli_runner().invoke(args=["demo"]).output


def test_users_create_with_password_from_stdin_or_generated(app):
    from ticketing.services.accounts import authenticate

    runner = app.test_cli_runner()
    given = runner.invoke(args=["users", "create", "Door@Example.org", "--role", "door", "--password-stdin"], input="a long enough secret\n")
    assert given.exit_code == 0 and "shown once" not in given.output
    generated = runner.invoke(args=["users", "create", "boss@example.org", "--role", "admin"])
    password = generated.output.strip().splitlines()[-1].split(": ", 1)[1]
    with app.app_context():
        assert authenticate("door@example.org", "a long enough secret").role == "door"
        assert authenticate("boss@example.org", password).role == "admin"
        assert authenticate("boss@example.org", "wrong") is None
    for args, stdin, message in (
        (["users", "create", "door@example.org", "--role", "door"], None, "exists already"),
        (["users", "create", "x@example.org", "--role", "door", "--password-stdin"], "short\n", "at least 12"),
        (["users", "create", "not-an-email", "--role", "door"], None, "does not look like"),
        (["users", "create", "y@example.org", "--role", "king"], None, "Invalid value"),
    ):
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code != 0 and message in result.output, result.output


def test_devices_create_prints_the_token_last_and_revoke_disables_it(app):
    from ticketing.services.accounts import device_for_token

    runner = app.test_cli_runner()
    result = runner.invoke(args=["devices", "create", "Door 1 phone"])
    token = result.output.strip().splitlines()[-1]
    with app.app_context():
        device = device_for_token(token)
        assert device.name == "Door 1 phone" and device.token_hash != token
    assert runner.invoke(args=["devices", "revoke", str(device.id)]).exit_code == 0
    with app.app_context():
        assert device_for_token(token) is None
    assert runner.invoke(args=["devices", "create", ""]).exit_code != 0
    assert runner.invoke(args=["devices", "revoke", "999"]).exit_code != 0
