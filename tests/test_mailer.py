"""E-mail through the outbox, received by a real SMTP server (aiosmtpd) and read as a mail
client reads it; failures, back-off, parallel senders and a sender killed mid-batch."""
import email
import email.policy
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import zxingcpp
from flask_migrate import downgrade, upgrade
from PIL import Image

from factories import PASSWORD
from mail_support import PUBLIC_URL, parts
from pages import hidden
from ticketing.database import write_transaction
from ticketing.extensions import db
from ticketing.models import AuditEntry, OutboxMessage, Registration, utcnow
from ticketing.services import booking, mailer
from ticketing.services.accounts import create_user
from ticketing.services.notifications import KINDS, notify

ROOT = Path(__file__).resolve().parent.parent
TICKET_KINDS = {"confirmation", "repeat_signup", "promoted", "moved", "reminder"}


def book(app, screening_id, name="Ana Attendee", mail="ana@example.org", seats=1):
    with app.app_context():
        return booking.book(screening_id, name, mail, seats=seats).registration.id


def outbox_rows(app):
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def send(app, **options):
    with app.app_context():
        return mailer.send_due(**options)


def decode_qr(png):
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return [code.text for code in found]


def test_confirmation_arrives_as_a_mail_client_reads_it(app, client, inbox, make_screening):
    sid = make_screening(title="Baqyt Qushağynda")
    rid = book(app, sid, seats=2)
    report = send(app)
    assert (report.sent, report.retrying, report.given_up) == (1, 0, 0)
    [message] = inbox.received
    with app.app_context():
        registration = db.session.get(Registration, rid)
        code, secret = registration.ticket.code, registration.secret
        stored_id = db.session.scalar(sa.select(OutboxMessage.message_id))
    assert message["To"] == "ana@example.org"
    assert message["From"].addresses[0].addr_spec == "tickets@festival.example"
    assert message["Subject"] == "Your ticket: Baqyt Qushağynda"
    assert message["Message-ID"] == stored_id and stored_id.endswith("@festival.example>")
    assert message.get_content_type() == "multipart/mixed"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = f"{PUBLIC_URL}/r/{secret}"
    assert link in text and f'href="{link}"' in html
    assert "2 people" in text and "Baqyt Qushağynda" in html
    # The QR is a related part of the HTML, shown inline, and reads as the ticket's code.
    [qr] = [p for ctype, _, p in parts(message) if ctype == "image/png"]
    assert qr.get_content_disposition() == "inline"
    assert f'src="cid:{qr["Content-ID"][1:-1]}"' in html
    assert decode_qr(qr.get_content()) == [code]
    # The self-service link works.
    assert client.get(f"/r/{secret}").status_code == 200


def test_confirmation_attaches_the_pdf_ticket_and_the_calendar_file(app, inbox, make_screening):
    book(app, make_screening(title="Myn Bala"))
    send(app)
    [message] = inbox.received
    attached = {p.get_content_type(): p for p in message.iter_attachments()}
    assert set(attached) == {"application/pdf", "text/calendar"}
    assert attached["application/pdf"].get_content().startswith(b"%PDF")
    assert attached["application/pdf"].get_filename().endswith(".pdf")
    assert "BEGIN:VCALENDAR" in attached["text/calendar"].get_content()
    assert attached["text/calendar"].get_filename().endswith(".ics")


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_both_parts_and_the_ticket_where_it_belongs(app, inbox, make_screening, kind):
    rid = book(app, make_screening(title="Film"))
    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        with write_transaction() as session:
            registration = session.get(Registration, rid)
            if kind == "confirm_email":  # a link to confirm goes to a booking that waits for it
                registration.hold_until = utcnow() + timedelta(minutes=10)
            notify(session, registration, kind)
    assert send(app).sent == 1
    [message] = inbox.received
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    # A Find my ticket list may name several films: they are in the text, not the subject.
    assert "Film" in (text if kind == "find_tickets" else message["Subject"])
    assert "Hello Ana Attendee," in text and "Hello Ana Attendee," in html
    has_qr = any(ctype == "image/png" for ctype, _, _ in parts(message))
    assert has_qr == (kind in TICKET_KINDS)
    assert bool(list(message.iter_attachments())) == (kind in TICKET_KINDS)


def test_the_waiting_list_and_its_promotion_tell_the_attendee(app, inbox, make_screening):
    sid = make_screening(title="Full film", capacity=1, max_seats=1)
    first = book(app, sid, "First", "first@example.org")
    book(app, sid, "Second", "second@example.org")
    book(app, sid, "Second", "second@example.org")  # a repeat sign-up, still waiting
    send(app)
    with app.app_context():
        booking.cancel(first)
    send(app)
    got = [(m["To"], m["Subject"]) for m in inbox.received]
    assert got == [
        ("first@example.org", "Your ticket: Full film"),
        ("second@example.org", "Waiting list: Full film"),
        ("second@example.org", "Still on the waiting list: Full film"),
        ("first@example.org", "Registration cancelled: Full film"),
        ("second@example.org", "A seat is yours: Full film"),
    ]
    promoted = inbox.received[-1]
    [qr] = [p for ctype, _, p in parts(promoted) if ctype == "image/png"]
    with app.app_context():
        code = db.session.scalar(sa.select(Registration).where(Registration.email == "second@example.org")).ticket.code
    assert decode_qr(qr.get_content()) == [code]


def test_user_text_with_markup_is_escaped_in_the_html_part(app, inbox, make_screening):
    sid = make_screening(title="<i>Film</i> & Co")
    book(app, sid, name='<script>alert("x")</script> <b>Bold</b>')
    send(app)
    [message] = inbox.received
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "<script>" not in html and "<b>Bold" not in html and "<i>Film" not in html
    assert "&lt;script&gt;" in html and "&lt;i&gt;Film&lt;/i&gt; &amp; Co" in html
    assert '<script>alert("x")</script> <b>Bold</b>' in text  # plain text is shown as typed
    assert message["Subject"] == "Your ticket: <i>Film</i> & Co"


def test_a_refusing_server_is_retried_with_back_off_then_given_up(app, inbox, make_screening):
    book(app, make_screening())
    inbox.answer = "451 4.3.0 Mailbox busy, try later"
    now = utcnow()
    waits = []
    for attempt in range(1, 9):
        report = send(app, now=now)
        [row] = outbox_rows(app)
        assert row.attempts == attempt and "451 4.3.0 Mailbox busy" in row.last_error
        if attempt < 8:
            assert (report.retrying, row.failed_at) == (1, None)
            assert send(app, now=row.next_attempt_at - timedelta(seconds=1)).tried == 0  # not before its time
            waits.append((row.next_attempt_at - now).total_seconds())
            now = row.next_attempt_at
    assert waits == [60, 120, 240, 480, 960, 1920, 3600]
    assert report.given_up == 1 and row.failed_at == now and row.sent_at is None
    assert send(app, now=now + timedelta(days=1)).tried == 0  # given up: no more tries
    assert inbox.received == []


def test_a_refused_recipient_is_recorded_with_the_servers_words(app, inbox, make_screening):
    book(app, make_screening())
    inbox.answer = "550 5.1.1 No such user here"
    report = send(app)
    [row] = outbox_rows(app)
    assert report.retrying == 1 and row.last_error == "550 5.1.1 No such user here"
    assert row.sent_at is None and row.next_attempt_at > utcnow()


def test_an_address_in_the_servers_words_is_not_stored(app, inbox, make_screening):
    """The row's recipient says whose message it is; an erasure running meanwhile clears that,
    and the error text must not bring the address back."""
    book(app, make_screening())
    inbox.answer = "550 5.1.1 <ana.private@example.org>: Recipient address rejected"
    send(app)
    [row] = outbox_rows(app)
    assert row.last_error == "550 5.1.1 <<address>>: Recipient address rejected"


def test_an_unreachable_server_stops_the_pass_and_leaves_the_rest_waiting(app, inbox, make_screening):
    sid = make_screening()
    for n in range(3):
        book(app, sid, f"Person {n}", f"p{n}@example.org")
    app.config["MAIL_PORT"] = 1  # nothing listens there
    report = send(app)
    assert report.stopped and report.retrying == 1
    assert [row.attempts for row in outbox_rows(app)] == [1, 0, 0]
    assert "ConnectionRefusedError" in outbox_rows(app)[0].last_error


def test_organizers_see_a_failed_message_and_retry_it(app, client, inbox, make_screening):
    book(app, make_screening(title="Myn Bala"))
    inbox.answer = "451 4.3.0 Greylisted"
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    assert send(app).given_up == 1
    with app.app_context():
        create_user("admin@example.org", "admin", PASSWORD)
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"email": "admin@example.org", "password": PASSWORD,
                                      "csrf_token": hidden(page, "csrf_token")})
    page = client.get("/admin/outbox").get_data(as_text=True)
    failed = page[page.index('id="message-1"'):]
    failed = failed[:failed.index("</tr>")]
    assert 'data-state="failed"' in failed and "451 4.3.0 Greylisted" in failed and "Myn Bala" in failed
    assert '<dd id="count-failed">1</dd>' in page
    response = client.post("/admin/outbox/1/retry", data={"csrf_token": hidden(page, "csrf_token")})
    assert response.status_code == 303
    [row] = outbox_rows(app)
    assert (row.failed_at, row.attempts) == (None, 0)
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.subject_type == "outbox")) == "outbox.retry"
    inbox.answer = None
    assert send(app).sent == 1 and len(inbox.received) == 1
    assert 'data-state="sent"' in client.get("/admin/outbox").get_data(as_text=True)
    token = hidden(client.get("/admin/users/new").get_data(as_text=True), "csrf_token")
    again = client.post("/admin/outbox/1/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "This message was sent already" in again.get_data(as_text=True)
    assert client.post("/admin/outbox/99/retry", data={"csrf_token": token}).status_code == 404


def test_after_an_outage_every_failed_message_is_retried_at_once(app, admin, inbox, make_screening):
    sid = make_screening(title="Myn Bala")
    for n in range(3):
        book(app, sid, f"Person {n}", f"p{n}@example.org")
    inbox.answer = "421 4.3.0 Service not available"
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    assert send(app).given_up == 1  # the server is down: the pass stops after the first
    assert send(app).given_up == 1 and send(app).given_up == 1
    with app.app_context():  # and one given up on purpose: it stays given up
        rid = booking.book(sid, "Late", "late@example.org").registration.id
        db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.registration_id == rid)
                           .values(failed_at=utcnow(), last_error=mailer.STARTED))
        db.session.commit()
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert '<dd id="count-failed">4</dd>' in page and "Try every failed message again" in page
    response = admin.post("/admin/outbox/retry-failed", data={"csrf_token": hidden(page, "csrf_token")})
    assert response.status_code == 303
    assert "3 messages will be sent again" in admin.get(response.location).get_data(as_text=True)
    rows = outbox_rows(app)
    assert [(row.failed_at is None, row.attempts) for row in rows] == [(True, 0)] * 3 + [(False, 0)]
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "outbox.retry_failed"))
        assert entry.details == {"messages": 3}
    inbox.answer = None
    assert send(app).sent == 3 and len(inbox.received) == 3
    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.failed_at.is_not(None)))
        db.session.commit()
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert "Try every failed message again" not in page
    token = hidden(admin.get("/admin/users/new").get_data(as_text=True), "csrf_token")  # no form left here
    nothing = admin.post("/admin/outbox/retry-failed", data={"csrf_token": token}, follow_redirects=True)
    assert "No message had failed." in nothing.get_data(as_text=True)


def test_a_message_about_a_screening_that_has_begun_is_given_up(app, inbox, make_screening):
    rid = book(app, make_screening())
    report = send(app, now=utcnow() + timedelta(days=11))
    [row] = outbox_rows(app)
    assert report.given_up == 1 and row.failed_at is not None and row.last_error == mailer.STARTED
    assert inbox.received == [] and rid


def test_a_ticket_cancelled_before_it_was_sent_is_not_sent(app, inbox, make_screening):
    rid = book(app, make_screening(title="Film"))
    with app.app_context():
        booking.cancel(rid)
    report = send(app)
    assert (report.sent, report.given_up) == (1, 1)
    assert [m["Subject"] for m in inbox.received] == ["Registration cancelled: Film"]
    assert outbox_rows(app)[0].last_error == mailer.SUPERSEDED


@pytest.mark.pdf  # the ticket e-mail, written to a file, carries its PDF
def test_without_a_mail_server_messages_go_to_the_instance_folder_and_their_path_to_the_log(app, make_screening, caplog):
    book(app, make_screening(title="Film"))
    caplog.set_level("INFO", logger="ticketing.mail")
    assert app.config["MAIL_SERVER"] is None
    previews = []
    assert send(app, preview=lambda message, path: previews.append((message["To"], path))).sent == 1
    path = Path(app.instance_path) / "outbox" / "1.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Your ticket: Film"
    assert message["Message-ID"] == outbox_rows(app)[0].message_id
    assert "Hello Ana Attendee" in message.get_body(preferencelist=("plain",)).get_content()
    assert previews == [("ana@example.org", path)]  # `flask outbox` shows it in development
    # The log says where the message is, never to whom or what (no personal data in logs).
    assert str(path) in caplog.text
    for private in ("Ana Attendee", "ana@example.org", "Your ticket"):
        assert private not in caplog.text


@pytest.mark.slow
def test_several_senders_at_once_send_each_message_once(app, inbox, make_screening):
    sid = make_screening(capacity=100)
    for n in range(30):
        book(app, sid, f"Person {n}", f"p{n}@example.org")
    reports, lock = [], threading.Lock()

    def sender():
        with app.app_context():
            report = mailer.send_due()
        with lock:
            reports.append(report)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = inbox.ids()
    assert len(ids) == 30 and set(Counter(ids).values()) == {1}
    assert sum(r.sent for r in reports) == 30 and all(r.retrying == r.given_up == 0 for r in reports)
    assert all(row.sent_at is not None for row in outbox_rows(app))


def _sender_process(app, database_url, port):
    env = dict(os.environ, DATABASE_URL=database_url, TICKETING_INSTANCE_PATH=app.instance_path,
               SECRET_KEY="test-secret-key", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port),
               PUBLIC_URL=PUBLIC_URL, FLASK_APP="app.py")
    return subprocess.Popen([sys.executable, "-m", "flask", "outbox", "send"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_sender_killed_mid_batch_and_restarted_delivers_every_message_once(app, database_url, inbox, make_screening):
    sid = make_screening(capacity=100)
    for n in range(12):
        book(app, sid, f"Person {n}", f"p{n}@example.org")
    # The killed sender's lease on the message in hand, and the wait before its next try (set
    # at the claim, in case the sender dies), run out after a second.
    (Path(app.instance_path) / "config.py").write_text("OUTBOX_LEASE_SECONDS = 1\nOUTBOX_RETRY_SECONDS = 1\n")
    process = None
    seen = []

    def kill_on_the_fifth(envelope):
        seen.append(envelope)
        if len(seen) == 5:
            process.send_signal(signal.SIGKILL)  # before the server answers: the fifth is not accepted
            process.wait()
            return False
        return True

    inbox.before_ack = kill_on_the_fifth
    process = _sender_process(app, database_url, inbox.port)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert len(inbox.received) == 4
    inbox.before_ack = None
    time.sleep(1.2)
    restarted = _sender_process(app, database_url, inbox.port)
    out, err = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, err
    assert "8 sent, 0 to retry later, 0 given up" in out
    ids = inbox.ids()
    rows = outbox_rows(app)
    assert len(ids) == 12 and set(Counter(ids).values()) == {1}
    assert set(ids) == {row.message_id for row in rows} and all(row.sent_at for row in rows)


def test_outbox_commands_print_counts(app, inbox, make_screening):
    book(app, make_screening())
    runner = app.test_cli_runner()
    status = runner.invoke(args=["outbox", "status"])
    assert status.exit_code == 0 and "waiting: 1" in status.output and "SMTP 127.0.0.1" in status.output
    sent = runner.invoke(args=["outbox", "send"])
    assert sent.exit_code == 0 and "1 sent, 0 to retry later, 0 given up" in sent.output
    assert "sent: 1" in runner.invoke(args=["outbox", "status"]).output


def test_messages_queued_before_the_migration_are_sent_after_it(app, inbox, make_screening):
    rid = book(app, make_screening())
    with app.app_context():
        db.session.execute(sa.delete(OutboxMessage))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0005")
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO outbox (kind, registration_id, recipient, locale, created_at, attempts, last_error) "
                "VALUES ('confirmation', :rid, 'ana@example.org', 'en', :now, 0, '')"), {"rid": rid, "now": utcnow().replace(tzinfo=None)})
        upgrade()
    assert send(app).sent == 1 and len(inbox.received) == 1
