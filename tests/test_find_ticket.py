"""Find my ticket (issue 20, item 3; the contract): a page with an Email field and a Send my
tickets button that e-mails the address the links of its active bookings, in the request's
language, through a real SMTP server; the same answer whether or not the address holds one;
limited per client address and per e-mail address."""
import re
from datetime import timedelta

import pytest
from markupsafe import escape
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from mail_support import PUBLIC_URL
from pages import errors, hidden
from ticketing.extensions import db
from ticketing.models import OutboxMessage, Registration, Screening, utcnow
from ticketing.services import booking, mailer

SOON = utcnow() + timedelta(days=3)


@pytest.fixture
def bookings(app, make_event, make_screening):
    """Ana holds a ticket for one film, waits for another, cancelled a third; a film of another
    festival, and one long past. Returns {what: private link}."""
    first = make_event(slug="fest", name="Days of Kazakh Cinema")
    second = make_event(slug="other", name="Turkish Film Week", accent="#5b1a18")
    films = {
        "ticket": make_screening(first, title="Baqyt Qushağynda", starts_at=SOON, max_seats=4),
        "waiting": make_screening(first, title="Myn Bala", starts_at=SOON + timedelta(days=1), capacity=0),
        "cancelled": make_screening(first, title="Kelin", starts_at=SOON + timedelta(days=2)),
        "other festival": make_screening(second, title="Kış Uykusu", starts_at=SOON + timedelta(days=4)),
        "past": make_screening(first, title="Old Film", starts_at=SOON),  # moved into the past below
    }
    links = {}
    with app.app_context():
        for what, screening_id in films.items():
            booked = booking.book(screening_id, "Ana Attendee", "Ana@Example.org", 2 if what == "ticket" else 1)
            links[what] = f"{PUBLIC_URL}/r/{db.session.get(Registration, booked.registration.id).secret}"
        booking.cancel(booking.find_by_secret(links["cancelled"].rsplit("/", 1)[1]).id)
        db.session.execute(sa.update(Screening).where(Screening.id == films["past"])
                           .values(starts_at=utcnow() - timedelta(days=2)))
        db.session.execute(sa.delete(OutboxMessage))  # the sign-ups' own messages: not this test's
        db.session.commit()
    return links


def ask(client, email, language=None):
    if language:
        client.get(f"/language/{language}")
    page = client.get("/find-my-ticket").get_data(as_text=True)
    return client.post("/find-my-ticket", data={"csrf_token": hidden(page, "csrf_token"), "email": email})


def sent(app):
    with app.app_context():
        return mailer.send_due()


def test_the_page_has_the_contracts_words_and_is_linked_from_every_event_and_screening_page(client, bookings):
    page = client.get("/find-my-ticket").get_data(as_text=True)
    assert '<label for="email">Email</label>' in page and 'value="Send my tickets"' in page
    for path in ("/e/fest", "/screenings/1"):
        assert '<a href="/find-my-ticket">Find my ticket</a>' in client.get(path).get_data(as_text=True)


def test_the_address_gets_one_email_with_the_links_of_its_active_bookings(app, client, inbox, bookings):
    response = ask(client, "  ana@EXAMPLE.org ")
    assert response.status_code == 303 and response.location.endswith("/find-my-ticket/sent")
    assert sent(app).sent == 1
    [message] = inbox.received
    assert message["To"] == "Ana@Example.org" and message["Subject"] == "Your tickets"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for what in ("ticket", "waiting", "other festival"):
        assert bookings[what] in text and f'href="{bookings[what]}"' in html, what
    for what in ("cancelled", "past"):
        assert bookings[what] not in text and bookings[what] not in html, what
    assert "3 bookings" in text and "Admits 2 people" in text and "On the waiting list" in text
    assert text.index("Baqyt Qushağynda") < text.index("Myn Bala") < text.index("Kış Uykusu")  # by time
    assert not list(message.iter_attachments())


def test_the_email_is_in_the_language_of_the_request(app, client, inbox, bookings):
    ask(client, "ana@example.org", language="kk")
    sent(app)
    [message] = inbox.received
    assert message["Content-Language"] == "kk"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Сіздің билеттеріңіз" in message["Subject"] and "Күту тізімінде" in text
    assert bookings["ticket"] in text


def test_an_unknown_address_gets_the_same_answer_and_no_email(app, client, inbox, bookings):
    def answer(email):
        response = ask(client, email)
        return response.status_code, response.location, client.get(response.location).get_data(as_text=True)

    assert answer("nobody@example.org") == answer("ana@example.org")
    assert answer("cancelled.only@example.org") == answer("ana@example.org")
    sent(app)
    assert [message["To"] for message in inbox.received] == ["Ana@Example.org", "Ana@Example.org"]


def test_an_address_whose_bookings_are_all_cancelled_gets_none(app, client, inbox, make_screening):
    screening_id = make_screening(starts_at=SOON)
    with app.app_context():
        booked = booking.book(screening_id, "Bo", "bo@example.org")
        booking.cancel(booked.registration.id)
    ask(client, "bo@example.org")
    sent(app)
    assert [m["Subject"] for m in inbox.received if m["Subject"] == "Your tickets"] == []


@pytest.mark.parametrize("typed,message", [
    ("", "Please enter your e-mail address."),
    ("not an address", "This does not look like an e-mail address. Please check it (name@example.org)."),
    ("a" * 300 + "@example.org", "This e-mail address is too long."),
    ("ana\u202e@example.org", "This e-mail address contains characters that cannot be in one."),
    ("<script>alert(1)</script>@example.org", "This does not look like an e-mail address. Please check it (name@example.org)."),
])
def test_bad_input_is_told_next_to_the_field_and_kept(client, typed, message):
    response = ask(client, typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and errors(page) == {"email": message}
    assert "<script>alert(1)</script>" not in page
    if typed:
        assert f'value="{escape(typed)}"' in page  # what was typed is kept, as text


def test_an_expired_form_says_so_and_sends_nothing(app, client, inbox, bookings):
    response = client.post("/find-my-ticket", data={"csrf_token": "forged", "email": "ana@example.org"})
    assert response.status_code == 422 and "This form had expired" in response.get_data(as_text=True)
    sent(app)
    assert inbox.received == []


@pytest.fixture
def limited(app):
    app.config.update(RATELIMIT_ENABLED=True, FIND_TICKET_LIMIT="4 per minute", FIND_TICKET_EMAIL_LIMIT="2 per hour")
    return app


def test_requests_are_limited_per_email_address_from_anywhere(limited, bookings):
    answers = []
    for address in ("192.0.2.1", "192.0.2.2", "198.51.100.7"):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        answers.append(ask(client, "ana@example.org").status_code)
    assert answers == [303, 303, 429]
    other = limited.test_client()
    assert ask(other, "nobody@example.org").status_code == 303  # another address is not held back


def test_other_spellings_of_an_address_share_its_count(limited, bookings):
    """Full-width or ideographic spellings of the domain are the same address to the app (and to
    the mail server): the same counter, not one per spelling."""
    answers = []
    for number, spelling in enumerate(["ana@example.org", "ana@ｅｘａｍｐｌｅ.org", "ana@example。org"]):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{10 + number}"
        answers.append(ask(client, spelling).status_code)
    assert answers == [303, 303, 429]


def test_the_list_is_sent_when_a_film_of_it_has_begun(app, client, inbox, bookings):
    """The person asks at the door of a film that started ten minutes ago: the list still leaves."""
    ask(client, "ana@example.org")
    with app.app_context():
        db.session.execute(sa.update(Screening).values(starts_at=utcnow() - timedelta(minutes=10))
                           .where(Screening.title.in_(["Baqyt Qushağynda", "Myn Bala", "Kış Uykusu"])))
        db.session.commit()
    assert sent(app).sent == 1
    [message] = inbox.received
    assert bookings["ticket"] in message.get_body(preferencelist=("plain",)).get_content()


def test_requests_are_limited_per_client_address_and_unknown_addresses_count_the_same(limited, bookings):
    client = limited.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    answers = [ask(client, f"person{number}@example.org").status_code for number in range(5)]
    assert answers == [303, 303, 303, 303, 429]


def test_the_migration_takes_the_word_away_on_the_way_down(app, client, bookings):
    ask(client, "ana@example.org")
    with app.app_context():
        db.session.remove()
        downgrade(revision="0011")
        with db.engine.connect() as connection:
            kinds = connection.execute(sa.text("SELECT kind FROM outbox")).scalars().all()
        upgrade()
    assert "find_tickets" not in kinds
