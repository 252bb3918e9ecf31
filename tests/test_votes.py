"""The audience's vote (issue 21, item 2): only tickets let in at the door vote, one ballot per
person let in, from the ticket's page or from the cinema screen's QR code with the ticket's short
code; the vote closes on time; live results, the projector page and the export. On both
databases, racing in several processes."""
import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pages import errors, hidden
from racers import race
from ticketing.errors import InvalidInputError
from ticketing.extensions import db
from ticketing.models import AuditEntry, Ballot, Event, Registration, Screening, utcnow
from ticketing.services import booking, checkin, tickets, votes

HOUR = timedelta(hours=1)


@pytest.fixture
def festival(ctx, make_event, make_screening):
    """An event with two films that began an hour ago, and a third later; ids."""
    event_id = make_event()
    first = make_screening(event_id, title="Qyz Jibek", starts_at=utcnow() - HOUR, capacity=50)
    second = make_screening(event_id, title="The Fall of Otrar", starts_at=utcnow() - HOUR, capacity=50)
    later = make_screening(event_id, title="Baqyt", starts_at=utcnow() + 48 * HOUR, capacity=50)
    return {"event": event_id, "first": first, "second": second, "later": later}


def ticket(screening_id, name, seats=1, admitted=None):
    """A booking (made two days ago) let in at the door with `admitted` people (all by default)."""
    email = name.lower().replace(" ", ".") + "@example.org"
    booked = booking.book(screening_id, name, email, seats, now=utcnow() - 48 * HOUR).registration
    registration = db.session.get(Registration, booked.id)
    if admitted != 0:
        checkin.check_in(registration.ticket.code, screening_id, seats=admitted)
    db.session.expire_all()
    return db.session.get(Registration, booked.id)


def open_vote(event_id, **fields):
    tz = db.session.get(Event, event_id).tz
    values = {"kind": "rating", "screening_id": "", "opens_at": (utcnow() - HOUR).astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
              "closes_at": (utcnow() + HOUR).astimezone(tz).strftime("%Y-%m-%dT%H:%M"), "results_public": False}
    values.update(fields)
    return votes.open_vote(event_id, values)


def vote_from_ticket(client, registration, vote_id, choice):
    path = f"/r/{registration.secret}/votes/{vote_id}"
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": hidden(page, "csrf_token"), "choice": str(choice)})


def vote_with_code(client, vote_id, code, choice):
    page = client.get(f"/votes/{vote_id}").get_data(as_text=True)
    return client.post(f"/votes/{vote_id}", data={"csrf_token": hidden(page, "csrf_token"), "code": code,
                                                  "choice": str(choice)})


def test_a_family_let_in_votes_once_per_person_from_its_ticket_page(ctx, client, festival):
    family = ticket(festival["first"], "Family Of Three", seats=3, admitted=2)  # one did not come
    vote = open_vote(festival["event"], screening_id=str(festival["first"]))
    page = client.get(f"/r/{family.secret}").get_data(as_text=True)
    assert f"/r/{family.secret}/votes/{vote.id}" in page  # the ticket's page offers the vote
    assert "2 votes left" in client.get(f"/r/{family.secret}/votes/{vote.id}").get_data(as_text=True)
    first = vote_from_ticket(client, family, vote.id, 5)
    assert first.status_code == 303
    assert "1 more person let in on this ticket may vote" in client.get(first.location).get_data(as_text=True)
    assert vote_from_ticket(client, family, vote.id, 4).status_code == 303
    page = client.get(f"/r/{family.secret}/votes/{vote.id}").get_data(as_text=True)
    assert "Everyone let in on this ticket has voted" in page and 'name="choice"' not in page
    assert f"/votes/{vote.id}" not in client.get(f"/r/{family.secret}").get_data(as_text=True)  # no vote left to offer
    with pytest.raises(votes.AllVotedError):  # a third vote, sent anyway
        votes.cast(vote.id, family.ticket.id, 1)
    [result] = votes.results(db.session.get(type(vote), vote.id))
    assert (result.ballots, result.stars, result.average) == (2, 9, 4.5)


def test_the_cinema_screen_asks_for_the_short_code(ctx, client, festival):
    ana = ticket(festival["first"], "Ana Attendee")
    bo = ticket(festival["second"], "Bo Attendee")
    vote = open_vote(festival["event"], kind="best_film")
    code = tickets.short_code(ana.ticket.code)
    assert vote_with_code(client, vote.id, code.lower().replace("-", " "), festival["second"]).status_code == 303
    assert vote_with_code(client, vote.id, tickets.short_code(bo.ticket.code), festival["second"]).status_code == 303
    again = vote_with_code(client, vote.id, code, festival["first"])  # Ana came alone: one ballot
    assert again.status_code == 422 and "Everyone on this ticket has voted" in again.get_data(as_text=True)
    wrong = vote_with_code(client, vote.id, "ZZZZ-ZZZZ", festival["first"])
    assert wrong.status_code == 404 and "code" in errors(wrong.get_data(as_text=True))
    results = votes.results(db.session.get(type(vote), vote.id))
    assert [(r.screening.title, r.ballots) for r in results][:2] == [("The Fall of Otrar", 2), ("Qyz Jibek", 0)]


@pytest.mark.parametrize("who", ["not let in", "cancelled", "other screening", "waiting"])
def test_who_cannot_vote(ctx, client, festival, who):
    vote = open_vote(festival["event"], screening_id=str(festival["first"]))
    if who == "not let in":
        person = ticket(festival["first"], "Nora Notin", admitted=0)
    elif who == "cancelled":
        person = ticket(festival["later"], "Carl Cancelled", admitted=0)
        booking.cancel(person.id)
    elif who == "other screening":
        person = ticket(festival["second"], "Olga Other")
    else:
        db.session.execute(sa.update(Screening).where(Screening.id == festival["later"]).values(capacity=0))
        db.session.commit()
        person = ticket(festival["later"], "Wanda Waiting", admitted=0)
    page = client.get(f"/r/{person.secret}/votes/{vote.id}").get_data(as_text=True)
    assert "Only tickets let in at the door of this vote's screenings can vote." in page and 'name="choice"' not in page
    answer = vote_from_ticket(client, person, vote.id, 5)  # sent anyway (no form: no token)
    assert answer.status_code == 422
    code = db.session.get(Registration, person.id).ticket.code
    by_code = vote_with_code(client, vote.id, tickets.short_code(code), 5)
    assert by_code.status_code == 404  # as for a code nobody has: not let in here, not found here
    assert errors(by_code.get_data(as_text=True))["code"].startswith("No ticket let in at this vote's screenings")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0


def test_the_vote_opens_and_closes_on_time(ctx, client, festival):
    ana = ticket(festival["first"], "Ana Attendee", seats=2)
    vote = open_vote(festival["event"])
    with pytest.raises(votes.VoteNotOpenError):
        votes.cast(vote.id, ana.ticket.id, 5, now=vote.opens_at - timedelta(seconds=1))
    assert votes.cast(vote.id, ana.ticket.id, 5, now=vote.closes_at - timedelta(seconds=1)).seat == 1
    with pytest.raises(votes.VoteClosedError):
        votes.cast(vote.id, ana.ticket.id, 5, now=vote.closes_at)
    db.session.get(type(vote), vote.id).closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    closed = vote_from_ticket(client, ana, vote.id, 4)
    assert "This vote is closed" in closed.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 1


@pytest.mark.parametrize("choice", ["", "0", "6", "-1", "abc", "٣", "9" * 40, "<b>5</b>", "5\x00"])
def test_bad_choices_are_refused_and_cast_nothing(ctx, client, festival, choice):
    ana = ticket(festival["first"], "Ana Attendee")
    vote = open_vote(festival["event"])
    path = f"/r/{ana.secret}/votes/{vote.id}"
    page = client.get(path).get_data(as_text=True)
    answer = client.post(path, data={"csrf_token": hidden(page, "csrf_token"), "choice": choice})
    assert answer.status_code == 422 and errors(answer.get_data(as_text=True)) == {"choice": "Choose from 1 to 5 stars."}
    assert "<b>5</b>" not in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0
    assert client.post(path, data={"choice": "5"}).status_code == 422  # no CSRF token


def test_racing_votes_of_one_ticket_count_once_per_person_let_in(database_url, tmp_path, app, festival):
    """48 votes race in 4 processes of 8 threads: 24 of a family of four (three let in), 24 of
    one person let in; exactly three and one ballots are cast, on both databases."""
    with app.app_context():
        family = ticket(festival["first"], "Family Of Four", seats=4, admitted=3)
        single = ticket(festival["first"], "Sam Single")
        vote = open_vote(festival["event"])
        family_ticket, single_ticket, vote_id = family.ticket.id, single.ticket.id, vote.id
    jobs = [("vote", vote_id, family_ticket, 5)] * 24 + [("vote", vote_id, single_ticket, 3)] * 24
    outcomes = sorted(outcome for _, outcome in race(database_url, tmp_path, jobs))
    assert outcomes == ["all_voted"] * 44 + ["voted:1", "voted:1", "voted:2", "voted:3"]
    with app.app_context():
        seats = db.session.execute(sa.select(Ballot.ticket_id, Ballot.seat).order_by(Ballot.ticket_id, Ballot.seat)).all()
        assert [tuple(row) for row in seats] == [(family_ticket, 1), (family_ticket, 2), (family_ticket, 3), (single_ticket, 1)]


def test_organizers_set_up_a_vote_follow_it_live_and_export_it(app, admin, make_event, make_screening):
    visitor = app.test_client()  # (the `client` fixture is the admin's)
    event_id = make_event()
    first = make_screening(event_id, title="=HYPERLINK(\"x\")", starts_at=utcnow() - HOUR)
    with app.app_context():
        ana = ticket(first, "Ana Attendee", seats=2)
        tz = db.session.get(Event, event_id).tz
    local = lambda moment: moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    form = {"csrf_token": admin.csrf, "kind": "rating", "screening_id": str(first),
            "opens_at": local(utcnow() - HOUR), "closes_at": local(utcnow() + HOUR)}
    refused = admin.post(f"/admin/events/{event_id}/votes", data={**form, "closes_at": local(utcnow() - 2 * HOUR)})
    assert refused.status_code == 422
    assert errors(refused.get_data(as_text=True)) == {"closes_at": "The vote must close after it opens."}
    made = admin.post(f"/admin/events/{event_id}/votes", data=form)
    assert made.status_code == 303
    vote_id = int(made.location.rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.execute(sa.select(AuditEntry.action, AuditEntry.subject_type, AuditEntry.subject_id)
                                  .where(AuditEntry.action.like("vote.%"))).all() == [("vote.create", "votes", vote_id)]
    for stars in (5, 3):
        assert vote_from_ticket(visitor, ana, vote_id, stars).status_code == 303
    results = admin.get(f"/admin/votes/{vote_id}").get_data(as_text=True)
    assert "Results: 2 votes" in results and "4 ★" in results
    assert visitor.get(f"/votes/{vote_id}/screen").status_code == 404  # not public: admins only
    screen = admin.get(f"/votes/{vote_id}/screen")
    assert screen.status_code == 200 and screen.headers["Cache-Control"] == "no-store"
    page = screen.get_data(as_text=True)
    assert 'data-refresh-seconds="5"' in page and "vote-screen.js" in page
    assert f"/votes/{vote_id}</p>" in page and "<svg" in page
    exported = admin.get(f"/admin/votes/{vote_id}/export.csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["cast_at", "film", "screening_starts_at", "rating", "person_of_ticket"]
    assert [(row[1], row[3], row[4]) for row in rows[1:]] == [("'=HYPERLINK(\"x\")", "5", "1"), ("'=HYPERLINK(\"x\")", "3", "2")]
    public = admin.post(f"/admin/votes/{vote_id}", data={**form, "results_public": "y"})
    assert public.status_code == 303
    assert visitor.get(f"/votes/{vote_id}/screen").status_code == 200
    best = admin.post(f"/admin/events/{event_id}/votes", data={**form, "kind": "best_film"})
    assert best.status_code == 422 and "choose the whole event" in errors(best.get_data(as_text=True))["screening_id"]


def test_guessing_short_codes_on_the_vote_page_is_throttled(app, ctx, festival):
    """A wrong code is a failed look-up of a private link (R4): the budget runs out, then even a
    right code waits; the guesser cannot tell a ticket not let in from no ticket."""
    app.config["LOOKUP_FAILURE_LIMIT"] = "4 per minute"
    ana = ticket(festival["first"], "Ana Attendee")
    vote = open_vote(festival["event"])
    guesser = app.test_client()
    page = guesser.get(f"/votes/{vote.id}").get_data(as_text=True)
    token = hidden(page, "csrf_token")
    statuses = [guesser.post(f"/votes/{vote.id}", data={"csrf_token": token, "code": f"AAAA-AA{n:02d}", "choice": "5"})
                .status_code for n in range(6)]
    assert statuses == [404] * 4 + [429] * 2
    right = guesser.post(f"/votes/{vote.id}", data={"csrf_token": token, "code": tickets.short_code(ana.ticket.code),
                                                     "choice": "5"})
    assert right.status_code == 429
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0


def test_the_question_and_who_votes_stay_once_votes_are_cast(ctx, festival):
    ana = ticket(festival["first"], "Ana Attendee")
    vote = open_vote(festival["event"])
    votes.cast(vote.id, ana.ticket.id, 4)
    tz = db.session.get(Event, festival["event"]).tz
    fields = {"kind": "rating", "screening_id": "", "opens_at": vote.opens_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
              "closes_at": (utcnow() + 3 * HOUR).astimezone(tz).strftime("%Y-%m-%dT%H:%M")}
    for change in ({"kind": "best_film"}, {"screening_id": str(festival["first"])}):
        with pytest.raises(InvalidInputError) as refused:
            votes.update_vote(vote.id, {**fields, **change})
        assert "Votes have been cast" in str(next(iter(refused.value.fields.values())))
    assert votes.update_vote(vote.id, fields).closes_at > utcnow() + 2 * HOUR  # the times still may
