"""An organizer's message to all attendees of a screening: written once, one e-mail per person
with an address, received by a real SMTP server in each attendee's language; bad input, a form
sent twice, and racing senders of the same form."""
import html
import re
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from mail_support import parts
from pages import errors, hidden
from racers import race
from ticketing.extensions import db
from ticketing.models import Announcement, AuditEntry, OutboxMessage, Registration, Screening, utcnow
from ticketing.services import announcements, booking, events, guests, mailer

INTRO = "The organizers have a message for you about this screening:"
BODY = "The film starts 15 minutes later: doors open at 19:45.\nҚош келдіңіздер! <script>alert(1)</script>"


@pytest.fixture
def screening(app, make_screening):
    """Two seats: Ana (English) and Aigerim (Kazakh) hold them, Bram waits, a guest has no address."""
    sid = make_screening(title="Baqyt Qushağynda", capacity=3, seats_held=1)
    with app.app_context():
        booking.book(sid, "Ana", "ana@example.org", locale="en")
        booking.book(sid, "Айгерім", "aigerim@example.org", locale="kk")
        booking.book(sid, "Bram", "bram@example.org", locale="nl")
        guests.add_guest(sid, "Press guest", "", 1)
        db.session.execute(sa.delete(OutboxMessage))  # the tickets' own e-mails
        db.session.commit()
    return sid


def form_page(admin, sid):
    response = admin.get(f"/admin/screenings/{sid}/message")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(admin, sid, page, **fields):
    data = {"csrf_token": hidden(page, "csrf_token"), "form_key": hidden(page, "form_key"),
            "subject": "Doors open later", "body": BODY, "audience": "confirmed", "send": "1", **fields}
    return admin.post(f"/admin/screenings/{sid}/message", data={k: v for k, v in data.items() if v is not None})


def announcements_written(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Announcement))


def announcement_rows(app):
    with app.app_context():
        return db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "announcement").order_by(OutboxMessage.id)
        ).all()


def test_each_attendee_gets_the_message_in_their_language(app, admin, inbox, screening):
    page = form_page(admin, screening)
    assert "People with a seat (2 with an e-mail address)" in page
    assert "People with a seat and the waiting list (3 with an e-mail address)" in page
    assert "1 registration has no e-mail address" in page
    response = post(admin, screening, page)
    assert response.status_code == 303
    assert "will be sent to 2 people" in admin.get(response.location).get_data(as_text=True)

    with app.app_context():
        assert mailer.send_due().sent == 2
        kazakh_intro = _in("kk", INTRO)
    received = {m["To"].addresses[0].addr_spec: m for m in inbox.received}
    assert set(received) == {"ana@example.org", "aigerim@example.org"}  # Bram waits: not in "confirmed"
    for address, intro in (("ana@example.org", INTRO), ("aigerim@example.org", kazakh_intro)):
        message = received[address]
        assert message["Subject"] == "Doors open later (Baqyt Qushağynda)"
        text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        html = message.get_body(preferencelist=("html",)).get_content()
        assert intro in text and BODY in text  # the organizer's words as written, in any language
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
        assert "Қош келдіңіздер!" in html and "Baqyt Qushağynda" in html
        assert not list(message.iter_attachments()) and all(c != "image/png" for c, _, _ in parts(message))
    assert kazakh_intro != INTRO, "the Kazakh catalog lacks the message's introduction"
    assert received["aigerim@example.org"]["Content-Language"] == "kk"


def _in(language, text):
    with force_locale(language):
        return gettext(text)


def test_the_waiting_list_can_be_included_and_the_history_counts_what_went(app, admin, inbox, screening):
    page = form_page(admin, screening)
    assert post(admin, screening, page, audience="active").status_code == 303
    rows = announcement_rows(app)
    assert sorted(r.recipient for r in rows) == ["aigerim@example.org", "ana@example.org", "bram@example.org"]
    assert {r.locale for r in rows} == {"en", "kk", "nl"}
    with app.app_context():
        [(item, sent, failed, waiting)] = announcements.history(screening)
        assert (item.recipients, sent, failed, waiting) == (3, 0, 0, 3)
        mailer.send_due()
        [(item, sent, failed, waiting)] = announcements.history(screening)
        assert (sent, failed, waiting) == (3, 0, 0)
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "screening.announce"))
        assert entry.subject_id == screening and entry.details["messages"] == 3
    page = form_page(admin, screening)
    assert 'id="announcement-' in page and "Doors open later" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_the_same_form_sent_twice_sends_once(app, admin, screening):
    page = form_page(admin, screening)
    assert post(admin, screening, page).status_code == 303
    again = post(admin, screening, page)
    assert again.status_code == 303
    assert "had been sent already" in admin.get(again.location).get_data(as_text=True)
    assert len(announcement_rows(app)) == 2
    # A new visit of the form has a new key: a second message is a new message.
    assert post(admin, screening, form_page(admin, screening), subject="Second").status_code == 303
    assert len(announcement_rows(app)) == 4


def test_the_same_form_changed_and_sent_again_is_refused_with_the_text_kept(app, admin, screening):
    """Back, edit, send: the first message went; the edited one is not dropped in silence."""
    page = form_page(admin, screening)
    assert post(admin, screening, page).status_code == 303
    response = post(admin, screening, page, body="A corrected text")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "This form was sent already. Open it again" in html
    assert "A corrected text" in html
    assert len(announcement_rows(app)) == 2


def test_a_message_is_not_sent_to_someone_who_cancelled_meanwhile(app, inbox, screening):
    with app.app_context():
        announcements.send(screening, "Doors later", "Doors at 19:45.", "confirmed", "k" * 24)
        ana = db.session.scalar(sa.select(Registration).where(Registration.email == "ana@example.org"))
        booking.cancel(ana.id)
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.kind != "announcement"))
        db.session.commit()
        report = mailer.send_due()
        assert (report.sent, report.given_up) == (1, 1)
        given_up = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "ana@example.org"))
        assert given_up.last_error == mailer.CANCELLED_SINCE and given_up.sent_at is None
    assert [m["To"].addresses[0].addr_spec for m in inbox.received] == ["aigerim@example.org"]


def test_writing_to_a_cancelled_screening_says_it_is_cancelled(app, admin, inbox, screening):
    """Its registrations stay (the door refuses them): an organizer may still write ("new date")."""
    with app.app_context():
        events.cancel_screening(screening)
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
    page = form_page(admin, screening)
    assert "This screening is cancelled." in page
    assert post(admin, screening, page, body="New date: 3 December.").status_code == 303
    with app.app_context():
        assert mailer.send_due().sent == 2
    to_ana = [message for message in inbox.received if message["To"] == "ana@example.org"]  # the English one
    text = to_ana[0].get_body(preferencelist=("plain",)).get_content()
    assert "This screening is cancelled." in text and "New date: 3 December." in text


def test_messages_to_many_are_queued_in_sign_up_order(app, screening):
    """The sender sends in outbox order: an organizer's message and a cancellation reach the
    attendees in the order they signed up, whatever order the database keeps their rows in."""
    with app.app_context():
        first = db.session.scalar(sa.select(sa.func.min(Registration.id)))
        # A changed row moves to the end of its table on PostgreSQL (a new row version).
        db.session.execute(sa.update(Registration).where(Registration.id == first).values(note="changed"))
        db.session.commit()
        announcements.send(screening, "Doors later", "Doors at 19:45.", "active", "o" * 24)
        events.cancel_screening(screening)
        for kind in ("announcement", "screening_cancelled"):
            queued = db.session.scalars(sa.select(OutboxMessage.registration_id)
                                        .where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()
            assert len(queued) == 3 and queued[0] == first and queued == sorted(queued), kind


@pytest.mark.parametrize("fields,field,message", [
    ({"subject": ""}, "subject", "The subject is required."),
    ({"subject": "   "}, "subject", "The subject is required."),
    ({"subject": "x" * 201}, "subject", "at most 200 characters"),
    ({"subject": "Hello\x00there"}, "subject", "control or invisible characters"),
    ({"subject": "Hello\u202ethere"}, "subject", "control or invisible characters"),
    ({"body": ""}, "body", "The message is required."),
    ({"body": "y" * 10_001}, "body", "at most 10000 characters"),
    ({"body": "bad\x07bell"}, "body", "control or invisible characters"),
    ({"audience": "everyone-ever"}, "audience", "Choose who receives the message."),
    ({"audience": ""}, "audience", "Choose who receives the message."),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_sent(app, admin, screening, fields, field, message):
    page = form_page(admin, screening)
    response = post(admin, screening, page, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in errors(html)[field]
    kept = fields.get("subject", "Doors open later")
    if field != "subject" and len(kept) < 200:
        assert f'value="{kept}"' in html  # the rest of the input is kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0
    assert announcement_rows(app) == []


def test_a_form_without_its_key_or_token_sends_nothing(app, admin, screening):
    page = form_page(admin, screening)
    for key in ("", "k" * 500):
        response = post(admin, screening, page, form_key=key)
        assert response.status_code == 422
        assert "This form is incomplete. Please open it again." in response.get_data(as_text=True)
    expired = post(admin, screening, page, csrf_token="forged")
    assert expired.status_code == 422 and "This form had expired" in expired.get_data(as_text=True)
    assert announcement_rows(app) == []


def test_a_group_without_addresses_is_refused(app, admin, make_screening):
    sid = make_screening(title="Quiet film")
    with app.app_context():
        guests.add_guest(sid, "Guest without address", "", 2)
    response = post(admin, sid, form_page(admin, sid))
    assert response.status_code == 422
    assert "no one to send it to" in errors(response.get_data(as_text=True))["audience"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 0


def test_a_message_after_the_screening_has_begun_still_goes(app, inbox, screening):
    """Unlike a ticket, an organizer's message may come afterwards ("thank you for coming")."""
    with app.app_context():
        announcements.send(screening, "Thank you", "Thanks for coming.", "confirmed", "k" * 24)
        db.session.execute(sa.update(Screening).where(Screening.id == screening)
                           .values(starts_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
        assert mailer.send_due().sent == 2
    assert {m["Subject"] for m in inbox.received} == {"Thank you (Baqyt Qushağynda)"}


@pytest.mark.slow
def test_racing_submissions_of_one_form_write_it_once(ctx, database_url, tmp_path, make_screening):
    """32 threads in 4 processes send the same form (a double click, retries): one message."""
    sid = make_screening(capacity=40)
    for i in range(20):
        booking.book(sid, f"Person {i}", f"p{i}@example.org")
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    key = "one-form-key-for-all-racers"
    results = race(database_url, tmp_path, [("announce", sid, "Hello", "Body", "confirmed", key)] * 32)
    outcomes = Counter(outcome for _job, outcome in results)
    assert outcomes == {"announced:True": 1, "announced:False": 31}, outcomes
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)) == 1
    rows = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert len(rows) == 20 and len(set(rows)) == 20


def test_the_message_is_previewed_as_each_language_reads_it_and_nothing_is_sent_yet(app, admin, screening):
    """Preview: "Send this message to N people?", the e-mail of the first person of each
    language (their greeting, the screening, the organizer's words as typed), and nothing
    written until "Send to N people" is pressed."""
    page = form_page(admin, screening)
    response = post(admin, screening, page, send=None, audience="active")
    shown = response.get_data(as_text=True)
    assert response.status_code == 200 and "Send this message to 3 people?" in shown
    previews = dict(re.findall(r'<article class="preview-mail" lang="(\w+)">.*?<pre class="message-body">(.*?)</pre>', shown, re.S))
    assert set(previews) == {"en", "kk", "nl"}
    with app.test_request_context():
        for locale, name in (("en", "Ana"), ("kk", "Айгерім"), ("nl", "Bram")):
            with force_locale(locale):
                assert html.escape(gettext("Hello %(name)s,", name=name)) in previews[locale]
                assert html.escape(gettext(INTRO)) in previews[locale]
            assert html.escape(BODY) in previews[locale]  # the organizer's words, as typed, shown as text
    assert announcement_rows(app) == [] and announcements_written(app) == 0
    # The confirmation carries the message; pressing it sends, once.
    confirm = {"csrf_token": hidden(shown, "csrf_token"), "form_key": hidden(shown, "form_key"),
               "subject": hidden(shown, "subject"), "body": hidden(shown, "body"), "audience": hidden(shown, "audience"),
               "send": "1"}
    assert confirm["body"] == BODY and confirm["audience"] == "active"
    assert admin.post(f"/admin/screenings/{screening}/message", data=confirm).status_code == 303
    assert len(announcement_rows(app)) == 3 and announcements_written(app) == 1


def test_change_the_message_goes_back_to_the_form_with_the_text_kept(app, admin, screening):
    page = form_page(admin, screening)
    response = post(admin, screening, page, send=None, edit="1")
    shown = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="subject"' in shown and "Doors open later" in shown
    assert "Send this message to" not in shown and announcement_rows(app) == []


def test_a_preview_of_bad_input_says_what_is_wrong_and_sends_nothing(app, admin, screening):
    page = form_page(admin, screening)
    response = post(admin, screening, page, send=None, subject="", body="  ")
    assert response.status_code == 422 and {"subject", "body"} <= set(errors(response.get_data(as_text=True)))
    assert announcement_rows(app) == []


def test_a_test_goes_to_the_organizer_only_and_carries_no_attendees_link(app, admin, inbox, screening):
    page = form_page(admin, screening)
    response = post(admin, screening, page, send=None, test="1")
    shown = response.get_data(as_text=True)
    assert response.status_code == 200 and "A test was sent to admin@example.org." in shown
    assert "Send this message to 2 people?" in shown  # still the preview: the real one is not sent
    [message] = inbox.received
    assert message["To"].addresses[0].addr_spec == "admin@example.org" and message["Subject"].startswith("[TEST] ")
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Doors open later" in text and BODY in text
    with app.app_context():
        secrets_ = [r.secret for r in db.session.scalars(sa.select(Registration))]
    assert not any(secret in message.as_string() for secret in secrets_)  # no attendee's private link
    assert announcement_rows(app) == [] and announcements_written(app) == 0
