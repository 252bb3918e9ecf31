"""Test data and staff sessions, written once for every module.

Each helper works inside the test's app context when one is pushed (the `ctx` fixture), and
pushes one of its own otherwise, so that it can be called from either kind of test. Events and
screenings come from conftest's `make_event` and `make_screening` fixtures.
"""
from contextlib import nullcontext

import sqlalchemy as sa
from flask import current_app, has_app_context

from pages import hidden
from ticketing.extensions import db
from ticketing.models import Registration, Ticket
from ticketing.services import accounts, booking

PASSWORD = "a long enough secret"  # every staff user's password in the tests


def within(app=None):
    """The app context to work in: the one pushed for `app` (or any, if `app` is None), or a new one."""
    if has_app_context() and (app is None or current_app._get_current_object() is app):
        return nullcontext()
    return app.app_context()


def book(screening_id, name="Ana Attendee", email=None, seats=1, app=None, **options):
    """Book through the service (booking.book, the form's rules) and return its result. The
    e-mail is made from the name's letters and digits unless given ("Ana" books ana@example.org);
    `options` go to booking.book (now=...)."""
    if email is None:
        email = f"{''.join(c for c in name.lower() if c.isascii() and c.isalnum()) or 'guest'}@example.org"
    with within(app):
        return booking.book(screening_id, name, email, seats, **options)


def make_registration(screening_id, name="Ana Attendee", email=None, seats=1, app=None, **options):
    """Book (see `book`) and return the registration's id."""
    return book(screening_id, name, email, seats, app, **options).registration.id


def make_ticket(screening_id, name="Ana Attendee", email=None, seats=1, app=None, **options):
    """Book (see `book`) and return the ticket's code."""
    return code_of(make_registration(screening_id, name, email, seats, app, **options), app)


def code_of(registration_id, app=None):
    """The ticket code of a registration."""
    with within(app):
        return db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == registration_id))


def secret_of(registration_id, app=None):
    """The self-service secret (the /r/<secret> link) of a registration."""
    with within(app):
        return db.session.scalar(sa.select(Registration.secret).where(Registration.id == registration_id))


def make_user(app, email, role="admin", password=PASSWORD):
    """Create a staff user; return its id."""
    with within(app):
        return accounts.create_user(email, role, password)[0].id


def csrf_token(client, path="/staff/login"):
    """The CSRF token of `client`'s session, read from the form at `path`."""
    return hidden(client.get(path).get_data(as_text=True), "csrf_token")


def log_in(client, email, password=PASSWORD, next_url=None):
    """Fill in and send the staff login form; return the response."""
    token = csrf_token(client)
    url = "/staff/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def logged_in(app, role="admin", email=None, client=None):
    """A test client logged in as a new staff user of `role` (e-mail: role@example.org unless
    given); the client carries `user_id` and the CSRF token of its session as `csrf`."""
    email = email or f"{role}@example.org"
    client = client or app.test_client()
    user_id = make_user(app, email, role)
    answer = log_in(client, email)
    assert answer.status_code == 303, f"logging in as {email} answered {answer.status_code}"
    client.user_id = user_id
    client.csrf = csrf_token(client, "/staff/")
    return client
