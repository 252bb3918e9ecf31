"""The dashboard: its numbers match the data, its charts are well-formed, accessible SVG."""
import html
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from ticketing.extensions import db
from ticketing.models import CheckIn, Registration, Screening, Ticket
from ticketing.services.tickets import new_code, new_secret

START = datetime(2024, 5, 10, 18, 0, tzinfo=timezone.utc)  # 20:00 in Brussels (summer time)
SVG = "{http://www.w3.org/2000/svg}"


def add(screening_id, seats, created_at, status="confirmed", admitted_at=(), undone_at=None):
    """Insert a registration with its ticket; admit it at each of `admitted_at` (all seats the
    first time); `undone_at` undoes the last admission. Returns the registration id."""
    n = db.session.query(Registration).count()
    registration = Registration(
        screening_id=screening_id, name=f"Person {n}", name_normalized=f"person {n}",
        email=f"p{n}@example.org", email_normalized=f"p{n}@example.org", seats=seats, status=status,
        secret=new_secret(), created_at=created_at,
    )
    registration.ticket = Ticket(code=new_code(), seats=seats, admitted=0 if undone_at else (seats if admitted_at else 0))
    db.session.add(registration)
    if status == "confirmed":  # as the booking service keeps it (R1)
        db.session.get(Screening, screening_id).seats_taken += seats
    db.session.flush()
    last = None
    for moment in admitted_at:
        last = CheckIn(ticket_id=registration.ticket.id, screening_id=screening_id, seats=seats,
                       result="admitted", scanned_at=moment)
        db.session.add(last)
        db.session.flush()
    if undone_at:
        db.session.add(CheckIn(ticket_id=registration.ticket.id, screening_id=screening_id, seats=seats,
                               result="undone", reason="undo", undoes_id=last.id, scanned_at=undone_at))
    db.session.commit()
    return registration.id


@pytest.fixture
def festival(app, make_event, make_screening):
    """A screening that has started (capacity 10) and one still to come, without sign-ups."""
    event = make_event(slug="fest")
    past = make_screening(event, title="Baqyt Qushağynda", starts_at=START, capacity=10)
    future = make_screening(event, title="Myn Bala", starts_at=datetime(2099, 1, 1, tzinfo=timezone.utc), capacity=20)
    utc = lambda *a: datetime(*a, tzinfo=timezone.utc)  # noqa: E731
    with app.app_context():
        add(past, 2, utc(2024, 5, 1, 10, 0), admitted_at=[START - timedelta(minutes=18)])   # 12:00 local
        add(past, 1, utc(2024, 5, 1, 11, 0), admitted_at=[START - timedelta(minutes=3)],
            undone_at=START - timedelta(minutes=2))                                            # undone: not in
        add(past, 1, utc(2024, 5, 2, 9, 0), status="cancelled")
        add(past, 3, utc(2024, 5, 3, 21, 30), admitted_at=[START - timedelta(minutes=4)])  # 23:30 local, 3 May
        add(past, 1, utc(2024, 5, 3, 22, 30))                                                # 00:30 local, 4 May
        add(past, 1, utc(2024, 5, 4, 8, 0), status="waitlisted")
        add(past, 2, utc(2024, 5, 4, 9, 0), status="waitlisted")
        db.session.add(CheckIn(screening_id=past, result="not_valid", reason="unknown_code", scanned_at=START))
        db.session.commit()
    return {"event": event, "past": past, "future": future}


def table(page, table_id):
    """The rows of a chart's table: [(row header, cell, ...)]."""
    body = re.search(rf'<table class="data chart-numbers" id="{table_id}-table">(.*?)</table>', page, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append(tuple(html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells))
    return rows[1:]  # without the header row


def figure(page, figure_id):
    return html.unescape(re.search(rf'<dd id="{figure_id}">(.*?)</dd>', page, re.S).group(1)).strip()


def test_screening_figures_match_the_data(admin, festival):
    page = admin.get(f"/admin/screenings/{festival['past']}/dashboard").get_data(as_text=True)
    assert figure(page, "confirmed") == "7 / 10"  # 2 + 1 + 3 + 1 seats
    assert figure(page, "fill-rate") == "70%"
    assert figure(page, "waiting") == "2 registrations, 3 seats"
    assert figure(page, "people-in") == "5"  # the undone admission does not count
    assert figure(page, "no-show") == "29% (2 seats)"  # 2 of 7 confirmed seats never came in


def test_signups_are_counted_per_local_day(admin, festival):
    page = admin.get(f"/admin/screenings/{festival['past']}/dashboard").get_data(as_text=True)
    assert table(page, "signups") == [
        ("May 1, 2024", "2", "3"), ("May 2, 2024", "1", "1"),
        ("May 3, 2024", "1", "3"), ("May 4, 2024", "3", "4"),  # 00:30 in Brussels is 4 May
    ]


def test_signups_over_a_short_span_are_counted_per_hour(app, admin, make_event, make_screening):
    screening = make_screening(make_event(), starts_at=START, capacity=10)
    with app.app_context():
        for minute in (0, 10, 50, 200):
            add(screening, 1, START - timedelta(hours=5) + timedelta(minutes=minute))
    page = admin.get(f"/admin/screenings/{screening}/dashboard").get_data(as_text=True)
    assert "Sign-ups per hour" in page
    counts = [(head.rsplit(", ", 1)[1].replace("\u202f", " "), count) for head, count, _ in table(page, "signups")]
    assert counts == [("3:00 PM", "3"), ("4:00 PM", "0"), ("5:00 PM", "0"), ("6:00 PM", "1")]


def test_arrivals_are_counted_per_five_minutes_around_the_start(admin, festival):
    page = admin.get(f"/admin/screenings/{festival['past']}/dashboard").get_data(as_text=True)
    rows = dict(table(page, "arrivals"))
    assert rows["Before 19:00"] == "0" and rows["From 20:30 on"] == "0"
    assert rows["19:40"] == "2" and rows["19:55"] == "3"  # 17:42 and 17:56 UTC
    assert sum(int(v) for v in rows.values()) == 5 and len(rows) == 18 + 2


def test_event_dashboard_adds_up_its_screenings(admin, festival):
    page = admin.get(f"/admin/events/{festival['event']}/dashboard").get_data(as_text=True)
    assert table(page, "fill") == [
        ("Baqyt Qushağynda, 10 May 20:00", "7 / 10", "70%"), ("Myn Bala, 1 Jan 01:00", "0 / 20", "0%"),
    ]
    arrivals = dict(table(page, "arrivals"))
    assert arrivals["-20 min"] == "2" and arrivals["-5 min"] == "3"
    assert "not started" in page and "29%" in page


def test_overview_lists_every_screening_of_every_event(admin, festival, make_event, make_screening):
    make_screening(make_event(slug="other", name="Other Festival"), title="Lonely film")
    page = admin.get("/admin/dashboard").get_data(as_text=True)
    for text in ("Test Festival", "Other Festival", "Baqyt Qushağynda", "Myn Bala", "Lonely film", "70%"):
        assert text in page


def test_charts_are_well_formed_svg_with_a_title_and_a_label(admin, festival):
    for path in ("/admin/dashboard", f"/admin/events/{festival['event']}/dashboard",
                 f"/admin/screenings/{festival['past']}/dashboard"):
        page = admin.get(path).get_data(as_text=True)
        svgs = re.findall(r"<svg .*?</svg>", page, re.S)
        assert svgs
        for text in svgs:
            svg = ET.fromstring(text)
            assert svg.get("role") == "img"
            title = svg.find(f"{SVG}title")
            assert title is not None and title.text
            for label_id in svg.get("aria-labelledby").split():
                assert f'id="{label_id}"' in page


def test_pages_carry_no_inline_style_or_script(admin, festival):
    page = admin.get(f"/admin/events/{festival['event']}/dashboard").get_data(as_text=True)
    assert "<script" not in page and "style=" not in page and "<style" not in page


def test_an_empty_screening_renders(admin, festival):
    response = admin.get(f"/admin/screenings/{festival['future']}/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing yet" in page
    assert figure(page, "no-show") == "not started" and figure(page, "fill-rate") == "0%"


def test_dashboard_links_to_the_exports(admin, festival):
    page = admin.get(f"/admin/screenings/{festival['past']}/dashboard").get_data(as_text=True)
    assert f'href="/admin/screenings/{festival["past"]}/export.csv?what=attendees"' in page
    assert f'href="/admin/screenings/{festival["past"]}/export.xlsx?what=checkins"' in page
    event_page = admin.get(f"/admin/events/{festival['event']}/dashboard").get_data(as_text=True)
    assert f'href="/admin/events/{festival["event"]}/export.csv?what=attendees"' in event_page


@pytest.mark.parametrize("path", ["/admin/dashboard", "/admin/events/1/dashboard", "/admin/screenings/1/dashboard"])
def test_pages_answer_admins(admin, festival, path):
    assert admin.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/admin/events/999/dashboard", "/admin/screenings/99999999999/dashboard"])
def test_unknown_ids_are_404(admin, festival, path):
    assert admin.get(path).status_code == 404
