"""The API's view of held seats and the release: GET /api/v1/screenings/<id> and walk-ins."""
from datetime import timedelta

import sqlalchemy as sa

from test_api import api, spec, token  # noqa: F401  (fixtures: the API called with a device token)
from ticketing.extensions import db
from ticketing.models import Registration, Screening, utcnow
from ticketing.services import booking, guests


def test_screening_shows_free_and_held_seats_and_the_release_time(api, make_screening):
    starts = utcnow().replace(microsecond=0) + timedelta(days=2)
    sid = make_screening(capacity=10, seats_held=3, starts_at=starts, release_minutes=45)
    api("POST", f"/screenings/{sid}/registrations", {"name": "Ana", "email": "ana@example.org", "seats": 2})
    body = api("GET", f"/screenings/{sid}").get_json()
    assert (body["seats_confirmed"], body["seats_free"], body["seats_held"], body["released"]) == (2, 5, 3, False)
    assert body["release_at"] == (starts - timedelta(minutes=45)).isoformat()  # UTC, ISO 8601


def test_screening_without_release_time(api, make_screening):
    body = api("GET", f"/screenings/{make_screening()}").get_json()
    assert (body["release_at"], body["released"], body["seats_held"], body["seats_free"]) == (None, False, 0, 50)


def test_reading_a_due_screening_releases_its_unclaimed_seats(app, api, make_screening):
    sid = make_screening(capacity=4, seats_held=1, starts_at=utcnow() + timedelta(minutes=5), release_minutes=30)
    with app.app_context():
        booking.book(sid, "Ana", "ana@example.org", 2)
        guests.add_guest(sid, "Press")  # takes the held seat, kept at release
    body = api("GET", f"/screenings/{sid}").get_json()
    assert (body["released"], body["seats_confirmed"], body["seats_held"], body["seats_free"]) == (True, 1, 0, 3)
    assert api("GET", f"/screenings/{sid}").get_json()["seats_free"] == 3  # once: nothing more to release
    with app.app_context():
        assert db.session.scalars(sa.select(Registration.status).order_by(Registration.id)).all() == ["cancelled", "confirmed"]


def test_a_walkin_through_the_api_leaves_held_seats_alone(app, api, make_screening):
    sid = make_screening(capacity=3, seats_held=2)
    first = api("POST", f"/screenings/{sid}/walkins", {"name": "Door", "seats": 1})
    assert (first.status_code, first.get_json()["seats_free"]) == (201, 0)
    second = api("POST", f"/screenings/{sid}/walkins", {"name": "Door 2"})
    assert (second.status_code, second.get_json()["error"]["kind"]) == (409, "no_seats")
    with app.app_context():
        screening = db.session.get(Screening, sid)
        assert (screening.seats_taken, screening.seats_held) == (1, 2)
