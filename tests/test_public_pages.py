"""The public pages through Flask's test client, on both databases."""
import re
from datetime import timedelta

import sqlalchemy as sa

from pages import errors, hidden, signup
from ticketing.extensions import db
from ticketing.models import OutboxMessage, Registration, Screening, Ticket, utcnow
from ticketing.services import booking


def text(response):
    return response.get_data(as_text=True)


def test_index_redirects_to_the_only_festival(client, make_screening):
    make_screening()
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith("/e/fest")


def test_event_page_shows_local_time_venue_and_state(client, make_screening, ctx):
    # 18:30 UTC on 10 July 2030 is 20:30 in Brussels (summer time).
    from datetime import datetime, timezone

    make_screening(title="Myn Bala", starts_at=datetime(2030, 7, 10, 18, 30, tzinfo=timezone.utc), hall="Hall 2", capacity=100)
    make_screening(title="Few", capacity=40, seats_taken=37)
    make_screening(title="Full", capacity=2, seats_taken=2)
    make_screening(title="Later", registration_opens_at=datetime(2030, 6, 1, 8, 0, tzinfo=timezone.utc))
    make_screening(title="Gone", registration_closes_at=utcnow() - timedelta(hours=1))
    page = text(client.get("/e/fest"))
    # the day heads the screenings of that day; each card gives the time
    assert re.search(r'<h3 class="day-heading"[^>]*>Wednesday, July 10, 2030</h3>\s*<ul class="screenings">\s*'
                     r'<li class="screening[^"]*">\s*<p class="when"><time [^>]+>8:30\s?PM</time>', page)
    assert "Hall A, Hall 2" in page
    assert "100 seats left" in page
    assert "Few seats left: only 3" in page
    assert "Full — join the waiting list" in page
    assert re.search(r"Registration opens Saturday, June 1, 2030, 10:00", page)
    assert "Registration closed" in page


def test_signup_form_labels_and_button_follow_the_contract(client, make_screening):
    page = text(client.get(f"/screenings/{make_screening(max_seats=3)}"))
    for label, field in (("Name", "name"), ("Email", "email"), ("Seats", "seats")):
        assert f'<label for="{field}">{label}</label>' in page
    assert 'type="submit" value="Register"' in page
    assert hidden(page, "csrf_token")


def test_seats_field_only_when_more_than_one_seat_may_be_taken(client, make_screening):
    page = text(client.get(f"/screenings/{make_screening(max_seats=1)}"))
    assert 'name="seats"' not in page


def test_signup_shows_the_ticket(client, make_screening, app):
    sid = make_screening()
    response = signup(client, sid, name="Zeynep Yılmaz", email="zeynep@example.org", seats="3")
    assert response.status_code == 303
    page = text(client.get(response.location))
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert f"{ticket.code[:4]}-{ticket.code[4:8]}" in page
    assert "Zeynep Yılmaz" in page and "Admits 3 people" in page and "<svg" in page
    assert "You are registered" in page


def test_full_screening_puts_you_on_the_waiting_list_with_your_place(client, make_screening):
    sid = make_screening(capacity=1)
    signup(client, sid, name="First", email="first@example.org", seats="1")
    signup(client, sid, name="Second", email="second@example.org", seats="1")
    response = signup(client, sid, name="Third", email="third@example.org", seats="1")
    page = text(client.get(response.location))
    assert "You are on the waiting list" in page and "Your place in the queue: 2" in page
    assert "<svg" not in page


def test_repeat_signup_shows_nothing_about_the_booking(client, make_screening, app):
    sid = make_screening()
    first = signup(client, sid, name="Ana Secret", email="ana@example.org", seats="2")
    other = app.test_client()
    response = signup(other, sid, name="Mallory", email="ANA@example.org", seats="1")
    assert response.status_code == 303 and response.location.endswith(f"/screenings/{sid}/sent")
    page = text(other.get(response.location))
    assert "Check your inbox" in page
    assert "Ana Secret" not in page and first.location.split("/r/")[1] not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
        kinds = db.session.scalars(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
        assert kinds == ["confirmation", "repeat_signup"]


def test_the_sent_page_of_a_screening_the_public_cannot_see_is_a_404(client, make_screening, make_event):
    """It answered 200 naming an unpublished screening (issue 18)."""
    shown, hidden_one = make_screening(title="Shown Film"), make_screening(title="Secret Premiere", is_published=False)
    in_hidden_event = make_screening(make_event(slug="draft-festival", is_published=False), title="Draft Film")
    assert "Shown Film" in text(client.get(f"/screenings/{shown}/sent"))
    for sid, title in ((hidden_one, "Secret Premiere"), (in_hidden_event, "Draft Film"), (999, "")):
        response = client.get(f"/screenings/{sid}/sent")
        assert response.status_code == 404 and (not title or title not in text(response))


def test_double_submitted_form_books_once_and_shows_the_ticket(client, make_screening, app):
    sid = make_screening()
    page = text(client.get(f"/screenings/{sid}"))
    data = {
        "csrf_token": hidden(page, "csrf_token"), "form_key": hidden(page, "form_key"),
        "name": "Ana", "email": "ana@example.org", "seats": "2",
    }
    first = client.post(f"/screenings/{sid}", data=data)
    second = client.post(f"/screenings/{sid}", data=data)
    assert first.location == second.location and "/r/" in second.location
    with app.app_context():
        assert db.session.get(Screening, sid).seats_taken == 2


def test_cancel_asks_first_then_cancels_and_promotes(client, make_screening, app):
    sid = make_screening(capacity=1)
    mine = signup(client, sid, name="Ana", email="ana@example.org", seats="1").location
    signup(app.test_client(), sid, name="Bo", email="bo@example.org", seats="1")
    confirm = client.get(mine + "/cancel")
    assert confirm.status_code == 200 and "Cancel your registration?" in text(confirm)
    with app.app_context():
        assert db.session.scalar(sa.select(Registration.status).where(Registration.name == "Ana")) == "confirmed"
    response = client.post(mine + "/cancel", data={"csrf_token": hidden(text(confirm), "csrf_token")})
    assert response.status_code == 303
    assert "Registration cancelled" in text(client.get(mine))
    again = client.post(mine + "/cancel", data={"csrf_token": hidden(text(confirm), "csrf_token")})
    assert again.status_code == 303  # a second click changes nothing and does not fail
    with app.app_context():
        assert db.session.scalar(sa.select(Registration.status).where(Registration.name == "Bo")) == "confirmed"


def test_cancel_without_csrf_token_changes_nothing(client, make_screening, app):
    sid = make_screening()
    mine = signup(client, sid, name="Ana", email="ana@example.org", seats="1").location
    response = client.post(mine + "/cancel", data={})
    assert response.status_code == 422 and "expired" in text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(Registration.status)) == "confirmed"


def test_png_download(client, make_screening):
    mine = signup(client, make_screening(), name="Ana", email="ana@example.org").location
    response = client.get(mine + "/ticket.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    assert "attachment" in response.headers["Content-Disposition"]


def test_unknown_links_are_404_pages(client):
    for url in ("/r/" + "x" * 32, "/r/" + "x" * 32 + "/cancel", "/screenings/999", "/e/nope", "/r/%00"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in text(response)


def test_guessing_self_service_links_is_throttled(app, make_screening):
    app.config["LOOKUP_FAILURE_LIMIT"] = "5 per minute"
    guesser = app.test_client()
    statuses = [guesser.get("/r/" + f"{i:032d}").status_code for i in range(7)]
    assert statuses == [404] * 5 + [429] * 2
    assert "Too many attempts" in text(guesser.get("/r/" + "y" * 32))


def test_real_links_are_not_throttled_by_use(app, make_screening):
    app.config["LOOKUP_FAILURE_LIMIT"] = "3 per minute"
    client = app.test_client()
    mine = signup(client, make_screening(), name="Ana", email="ana@example.org").location
    assert all(client.get(mine).status_code == 200 for _ in range(10))


def test_ticket_page_view_does_not_render_the_qr_again(client, make_screening):
    from ticketing.services import tickets

    mine = signup(client, make_screening(), name="Ana", email="ana@example.org").location
    client.get(mine)
    before = tickets.render_qr_svg.cache_info().misses
    for _ in range(3):
        client.get(mine)
    assert tickets.render_qr_svg.cache_info().misses == before


def test_public_visits_carry_no_staff_cookies(client, make_screening):
    sid = make_screening()
    client.get(f"/screenings/{sid}")
    again = client.get(f"/screenings/{sid}")
    assert "remember_token" not in " ".join(again.headers.getlist("Set-Cookie"))


def test_the_form_refuses_a_name_holding_a_link_and_keeps_what_was_typed(client, make_screening):
    from pages import errors, signup

    sid = make_screening()
    response = signup(client, sid, name="URGENT: pay again at https://evil.example", email="ana@example.org", seats="1")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors(page) == {"name": "A name cannot hold a web address or an e-mail address. Please type just the name."}
    assert 'value="ana@example.org"' in page
