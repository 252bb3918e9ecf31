"""The audience's vote in Chromium (issue 21, item 2): the projector page shows each vote as it
comes, without reloading, and a person let in votes from the ticket's page."""
from datetime import timedelta

from playwright.sync_api import expect

from ticketing.extensions import db
from ticketing.models import Registration, Screening, Vote, utcnow
from ticketing.services import booking, checkin, votes


def test_the_projector_page_shows_each_vote_as_it_comes(live, page):
    app, base = live
    with app.app_context():
        event_id = db.session.get(Screening, 1).event_id
        booked = booking.book(1, "Алия Ануарбек", "alia@example.org", 2).registration
        registration = db.session.get(Registration, booked.id)
        checkin.check_in(registration.ticket.code, 1)
        vote = Vote(event_id=event_id, screening_id=1, kind="rating", opens_at=utcnow() - timedelta(minutes=5),
                    closes_at=utcnow() + timedelta(hours=1), results_public=True)
        db.session.add(vote)
        db.session.commit()
        vote_id, ticket_id, secret = vote.id, registration.ticket.id, registration.secret
    page.goto(f"{base}/votes/{vote_id}/screen")
    expect(page.get_by_text("Results: 0 votes")).to_be_visible()
    with app.app_context():
        votes.cast(vote_id, ticket_id, 4)
    expect(page.get_by_text("Results: 1 vote", exact=True)).to_be_visible(timeout=15_000)  # no reload
    # Her friend votes from the ticket's page: a button there, five stars, thanks.
    voter = page.context.new_page()
    voter.goto(f"{base}/r/{secret}")
    voter.get_by_role("link", name="Rate the film").click()
    voter.get_by_label("5 stars").check()
    voter.get_by_role("button", name="Vote").click()
    expect(voter.get_by_text("Thank you for your vote!")).to_be_visible()
    expect(page.get_by_text("Results: 2 votes")).to_be_visible(timeout=15_000)
    expect(page.locator(".vote-results tbody tr").first).to_contain_text("4.5 ★")
