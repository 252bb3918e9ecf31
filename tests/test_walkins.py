"""Walk-ins at the door and the count of free seats: the API, the page without JavaScript, and
door staff limited to other events."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from factories import PASSWORD
from pages import errors, field_value, hidden
from ticketing.extensions import db
from ticketing.models import CheckIn, Registration, Screening, Ticket, utcnow
from ticketing.services import accounts, booking



@pytest.fixture
def door(app):
    """A door volunteer logged in: (client, user id, CSRF token for the API's X-CSRFToken)."""
    with app.app_context():
        user_id = accounts.create_user("door@example.org", "door", PASSWORD)[0].id
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"email": "door@example.org", "password": PASSWORD,
                                      "csrf_token": hidden(page, "csrf_token")})
    token = hidden(client.get("/staff/").get_data(as_text=True), "csrf_token")
    return client, user_id, token


def walk_in(door, screening_id, **body):
    client, _, token = door
    return client.post(f"/api/v1/screenings/{screening_id}/walkins", json=body, headers={"X-CSRFToken": token})


def free_seats(door, screening_id):
    return door[0].get(f"/api/v1/screenings/{screening_id}").get_json()["seats_free"]


def walkins(app):
    with app.app_context():
        return db.session.scalars(sa.select(Registration).where(Registration.source == "walkin")).all()


def screening_row(app, screening_id):
    with app.app_context():
        s = db.session.get(Screening, screening_id)
        return {"taken": s.seats_taken, "held": s.seats_held}


# The API

def test_a_walkin_is_admitted_at_once_and_logged_as_a_checkin(app, door, make_screening):
    sid = make_screening(capacity=10)
    response = walk_in(door, sid, name="Алия Ануарбек", seats=2)
    assert response.status_code == 201
    body = response.get_json()
    assert body["registration"]["name"] == "Алия Ануарбек" and body["registration"]["seats"] == 2
    with app.app_context():
        registration = db.session.get(Registration, body["registration"]["id"])
        assert registration.source == "walkin" and registration.status == "confirmed"
        assert registration.ticket.admitted == 2
        log = db.session.scalars(sa.select(CheckIn)).all()
    assert [(c.result, c.reason, c.seats, c.staff_user_id) for c in log] == [("admitted", "walkin", 2, door[1])]


def test_a_walkin_without_a_name_is_called_walk_in(app, door, make_screening):
    sid = make_screening()
    assert walk_in(door, sid).get_json()["registration"]["name"] == "Walk-in"


def test_seats_free_go_down_by_the_walkins_seats(door, make_screening):
    sid = make_screening(capacity=10)
    assert free_seats(door, sid) == 10
    assert walk_in(door, sid, seats=3).get_json()["seats_free"] == 7
    assert free_seats(door, sid) == 7


def test_no_free_seats_is_a_409_no_seats_and_nothing_is_written(app, door, make_screening):
    sid = make_screening(capacity=2)
    walk_in(door, sid, seats=2)
    response = walk_in(door, sid, seats=1)
    assert response.status_code == 409 and response.get_json()["error"]["kind"] == "no_seats"
    assert len(walkins(app)) == 1 and screening_row(app, sid)["taken"] == 2


def test_seats_held_for_guests_are_not_given_to_walkins(app, door, make_screening):
    sid = make_screening(capacity=5, seats_held=3)
    assert free_seats(door, sid) == 2
    assert walk_in(door, sid, seats=3).status_code == 409
    assert walk_in(door, sid, seats=2).status_code == 201
    assert screening_row(app, sid) == {"taken": 2, "held": 3}
    assert walk_in(door, sid, seats=1).get_json()["error"]["kind"] == "no_seats"


@pytest.mark.parametrize("seats", [0, -1, 101, 1.5, True, "abc", "٣", "1" * 50, [2], {"n": 2}, "2", None])
def test_bad_seat_counts_are_422_with_nothing_written(app, door, make_screening, seats):
    sid = make_screening()
    response = walk_in(door, sid, seats=seats)
    assert response.status_code == 422
    assert "seats" in response.get_json()["error"]["fields"]
    assert walkins(app) == [] and screening_row(app, sid)["taken"] == 0


@pytest.mark.parametrize("name", ["x" * 500, "nul\x00name", "bidi \u202e name", 5, ["<b>x</b>"], None])
def test_bad_names_are_422_with_nothing_written(app, door, make_screening, name):
    sid = make_screening()
    response = walk_in(door, sid, name=name)
    assert response.status_code == 422 and "name" in response.get_json()["error"]["fields"]
    assert walkins(app) == []


def test_a_cancelled_screening_takes_no_walkins(app, door, make_screening):
    sid = make_screening(is_cancelled=True)
    response = walk_in(door, sid)
    assert response.status_code == 409 and response.get_json()["error"]["kind"] == "screening_cancelled"
    assert walkins(app) == []


@pytest.fixture
def limited_to_other_event(app, door, make_event, make_screening):
    """The door user works at event B only; screening A (event A) is not theirs. Returns A's id."""
    a, b = make_event(slug="a", name="Event A"), make_event(slug="b", name="Event B")
    sid = make_screening(a, title="Film A")
    make_screening(b, title="Film B")
    with app.app_context():
        accounts.update_user(door[1], events=[b])
    return sid


def test_door_staff_of_another_event_get_403_from_the_api(app, door, limited_to_other_event):
    response = walk_in(door, limited_to_other_event, seats=1)
    assert response.status_code == 403 and response.get_json()["error"]["kind"] == "forbidden"
    assert walkins(app) == []


def test_the_api_says_when_unclaimed_seats_are_released(door, make_screening):
    starts = utcnow() + timedelta(hours=2)
    sid = make_screening(starts_at=starts, release_minutes=10)
    body = door[0].get(f"/api/v1/screenings/{sid}").get_json()
    assert body["released"] is False and body["release_at"] is not None and body["seats_held"] == 0


# The door page, and its form without JavaScript

def post_walkin(door, screening_id, **fields):
    client = door[0]
    page = client.get(f"/staff/door/{screening_id}").get_data(as_text=True)
    return client.post(f"/staff/door/{screening_id}/walkin", data={"csrf_token": hidden(page, "csrf_token"), **fields})


def test_the_door_page_shows_the_free_seats(door, make_screening):
    sid = make_screening(capacity=12, seats_held=2)
    page = door[0].get(f"/staff/door/{sid}").get_data(as_text=True)
    assert re.search(r'id="count-free">10<', page) and re.search(r'id="count-held">2<', page)


def test_the_door_page_says_when_unclaimed_seats_are_released(app, door, make_screening):
    sid = make_screening(starts_at=utcnow() + timedelta(hours=2), release_minutes=10)
    assert "Unclaimed seats are released at" in door[0].get(f"/staff/door/{sid}").get_data(as_text=True)
    with app.app_context():
        db.session.get(Screening, sid).starts_at = utcnow() + timedelta(minutes=5)
        db.session.commit()
    assert "Unclaimed seats have been released" in door[0].get(f"/staff/door/{sid}").get_data(as_text=True)


def test_a_released_ticket_scanned_says_so(app, door, make_screening):
    sid = make_screening(starts_at=utcnow() + timedelta(minutes=5))
    with app.app_context():
        booked = booking.book(sid, "Late Comer", "late@example.org", 1).registration.id
        code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == booked))
        # Seats unclaimed 10 minutes before the film are released: that time has passed now.
        db.session.get(Screening, sid).release_minutes = 10
        db.session.commit()
    client = door[0]
    page = client.get(f"/staff/door/{sid}").get_data(as_text=True)
    assert '"released": "Not claimed in time: the seat went to someone else."' in page  # door.js's text
    answer = client.post(f"/staff/door/{sid}", data={"code": code, "csrf_token": hidden(page, "csrf_token")})
    text = answer.get_data(as_text=True)
    assert 'data-state="not_valid"' in text and "Not claimed in time" in text


def test_the_form_without_javascript_admits_a_walkin(app, door, make_screening):
    sid = make_screening(capacity=10)
    response = post_walkin(door, sid, name="Зейнеп", seats="2")
    assert response.status_code == 303
    registration = walkins(app)[0]
    assert response.location.endswith(f"/staff/door/{sid}?walkin={registration.id}")
    page = door[0].get(response.location).get_data(as_text=True)
    assert 'data-state="admitted"' in page and "Walk-in admitted: 2 seats" in page and "Зейнеп" in page
    assert re.search(r'id="count-free">8<', page)
    with app.app_context():
        assert db.session.scalar(sa.select(Ticket.admitted).where(Ticket.registration_id == registration.id)) == 2


def test_reloading_the_answer_adds_no_second_walkin(app, door, make_screening):
    sid = make_screening(capacity=10)
    location = post_walkin(door, sid, seats="1").location
    door[0].get(location)
    door[0].get(location)
    assert len(walkins(app)) == 1


@pytest.mark.parametrize("seats", ["0", "abc", "1" * 50, "-3", "<b>2</b>"])
def test_the_form_refuses_bad_seats_next_to_the_field(app, door, make_screening, seats):
    sid = make_screening()
    response = post_walkin(door, sid, name="Kept Name", seats=seats)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "walkin-seats" in errors(page)
    assert field_value(page, "name") == "Kept Name" and "<b>2</b>" not in page
    assert walkins(app) == []


def test_the_form_when_full_says_so_and_the_button_is_disabled(app, door, make_screening):
    sid = make_screening(capacity=1)
    post_walkin(door, sid, seats="1")
    page = door[0].get(f"/staff/door/{sid}").get_data(as_text=True)
    assert re.search(r'id="walkin-add"[^>]* disabled', page) and "No seats are free" in page
    response = post_walkin(door, sid, seats="1")
    assert response.status_code == 409
    assert errors(response.get_data(as_text=True))["walkin-seats"] == "No seats are free for walk-ins."
    assert len(walkins(app)) == 1


def test_the_form_without_its_csrf_token_writes_nothing(app, door, make_screening):
    sid = make_screening()
    response = door[0].post(f"/staff/door/{sid}/walkin", data={"seats": "1"})
    assert response.status_code == 422 and walkins(app) == []


def test_the_form_for_another_events_screening_is_403(app, door, limited_to_other_event):
    assert post_walkin(door, limited_to_other_event, seats="1").status_code == 403
    assert walkins(app) == []


def test_a_walkin_id_of_another_kind_shows_no_walkin_verdict(app, door, make_screening):
    sid = make_screening()
    with app.app_context():
        public = booking.book(sid, "Public Person", "p@example.org", 1).registration.id
    page = door[0].get(f"/staff/door/{sid}?walkin={public}").get_data(as_text=True)
    assert "verdict-title\">Walk-in admitted" not in page and 'data-state="idle"' in page
