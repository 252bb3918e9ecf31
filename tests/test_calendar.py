"""Calendar files (.ics), read back with a real parser (icalendar) and as raw text, on both databases."""
import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from ticketing.extensions import db
from ticketing.models import Screening
from ticketing.services import booking, calendar, tickets

MANAGE = "https://tickets.example.org/r/manage-link"
SUMMER = datetime(2030, 7, 10, 18, 30, tzinfo=timezone.utc)  # 20:30 in Brussels (CEST)
WINTER = datetime(2030, 1, 15, 18, 30, tzinfo=timezone.utc)  # 19:30 in Brussels (CET)
KAZAKH_TITLE = "Бақыт құшағында; Baqyt Qushağynda, ş ı \\ ğ\nYeni satır"


def book(app, screening_id, email="ana@example.org", seats=1):
    """Register someone and return the registration's secret."""
    with app.app_context():
        return booking.book(screening_id, "Ana Ğüneş", email, seats).registration.secret


def ics(app, secret, manage_url=MANAGE):
    """Render the .ics of the registration behind `secret`; return (raw bytes, parsed calendar)."""
    with app.app_context():
        raw = calendar.render_ics(booking.find_by_secret(secret), manage_url)
    return raw, Calendar.from_ical(raw)


def vevent(parsed):
    (found,) = parsed.walk("VEVENT")
    return found


def physical_lines(raw):
    assert raw.endswith(b"\r\n")
    return raw[:-2].split(b"\r\n")


@pytest.mark.parametrize(
    ("zone", "starts_at", "local"),
    [
        ("Europe/Brussels", SUMMER, "20300710T203000"),
        ("Europe/Brussels", WINTER, "20300115T193000"),
        ("Asia/Almaty", datetime(2030, 3, 1, 14, 0, tzinfo=timezone.utc), "20300301T190000"),
    ],
)
def test_dtstart_is_the_local_time_of_the_event_zone(app, make_event, make_screening, zone, starts_at, local):
    sid = make_screening(make_event(timezone=zone), starts_at=starts_at)
    raw, parsed = ics(app, book(app, sid))
    assert f"DTSTART;TZID={zone}:{local}\r\n".encode() in raw
    start = vevent(parsed).decoded("DTSTART")
    assert start.astimezone(timezone.utc) == starts_at
    assert start.strftime("%Y%m%dT%H%M%S") == local


@pytest.mark.parametrize("starts_at", [SUMMER, WINTER])
def test_the_vtimezone_alone_gives_the_stored_instant(app, make_screening, starts_at):
    # A client that knows no zone names reads the offsets from the file's own VTIMEZONE.
    raw, parsed = ics(app, book(app, make_screening(starts_at=starts_at)))
    zones = {tz["TZID"]: tz for tz in parsed.walk("VTIMEZONE")}
    assert set(zones) == {"Europe/Brussels"}
    assert raw.index(b"BEGIN:VTIMEZONE") < raw.index(b"BEGIN:VEVENT")
    own = zones["Europe/Brussels"].to_tz(lookup_tzid=False)
    wall = vevent(parsed).decoded("DTSTART").replace(tzinfo=None)
    assert wall.replace(tzinfo=own).astimezone(timezone.utc) == starts_at


def test_calendar_header_says_publish_gregorian_2_0(app, make_screening):
    _, parsed = ics(app, book(app, make_screening()))
    assert parsed["VERSION"] == "2.0" and parsed["CALSCALE"] == "GREGORIAN"
    assert parsed["METHOD"] == "PUBLISH" and parsed["PRODID"].startswith("-//ticketing//")
    stamp = vevent(parsed).decoded("DTSTAMP")
    assert stamp.utcoffset() == timedelta(0)


def test_dtend_follows_the_running_time(app, make_screening):
    _, parsed = ics(app, book(app, make_screening(starts_at=SUMMER, runtime_minutes=95)))
    event = vevent(parsed)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=95)
    assert "estimate" not in str(event["DESCRIPTION"])


def test_unknown_running_time_gives_two_hours_and_says_so(app, make_screening):
    _, parsed = ics(app, book(app, make_screening(starts_at=SUMMER, runtime_minutes=None)))
    event = vevent(parsed)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=2)
    assert "The end time is an estimate" in str(event["DESCRIPTION"])


def test_title_with_cyrillic_turkish_letters_and_separators_round_trips(app, make_screening):
    raw, parsed = ics(app, book(app, make_screening(title=KAZAKH_TITLE)))
    assert str(vevent(parsed)["SUMMARY"]) == KAZAKH_TITLE
    unfolded = raw.replace(b"\r\n ", b"").decode("utf-8")
    assert "SUMMARY:Бақыт құшағында\\; Baqyt Qushağynda\\, ş ı \\\\ ğ\\nYeni satır\r\n" in unfolded


def test_control_characters_in_a_title_are_left_out(app, make_screening):
    raw, parsed = ics(app, book(app, make_screening(title="Myn\x01 Bala\x1b\r\nWarriors")))
    assert str(vevent(parsed)["SUMMARY"]) == "Myn Bala\nWarriors"
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", raw)


def test_location_has_venue_hall_and_address(app, make_event, make_screening):
    eid = make_event(venue="Cinéma Galeries", address="Galerie de la Reine 26, 1000 Bruxelles")
    _, parsed = ics(app, book(app, make_screening(eid, hall="Salle 1")))
    assert str(vevent(parsed)["LOCATION"]) == "Cinéma Galeries, Salle 1, Galerie de la Reine 26, 1000 Bruxelles"


def test_long_text_is_folded_at_75_octets_without_splitting_a_character(app, make_screening):
    note = ("Қазақ киносының күндері, Brüksel'de ğ ş ı; " * 10)[:300]
    raw, parsed = ics(app, book(app, make_screening(title="Ә" * 120, note=note)))
    lines = physical_lines(raw)
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 75
    assert sum(line.startswith(b" ") for line in lines) >= 10
    for line in lines:
        line.decode("utf-8")  # each physical line alone is whole UTF-8: no character was cut
    assert note in str(vevent(parsed)["DESCRIPTION"])
    assert str(vevent(parsed)["SUMMARY"]) == "Ә" * 120


def test_description_has_seats_short_code_and_link(app, make_screening):
    secret = book(app, make_screening(), seats=3)
    _, parsed = ics(app, secret)
    with app.app_context():
        code = tickets.short_code(booking.find_by_secret(secret).ticket.code)
    event = vevent(parsed)
    description = str(event["DESCRIPTION"])
    assert "Seats: 3" in description and f"Ticket code: {code}" in description
    assert MANAGE in description and str(event["URL"]) == MANAGE


def test_without_a_link_there_is_no_url(app, make_screening):
    _, parsed = ics(app, book(app, make_screening()), manage_url=None)
    assert "URL" not in vevent(parsed) and "http" not in str(vevent(parsed)["DESCRIPTION"])


def test_uid_is_stable_distinct_and_does_not_reveal_the_secret(app, make_screening):
    sid = make_screening()
    first, second = book(app, sid, "a@example.org"), book(app, sid, "b@example.org")
    uid = str(vevent(ics(app, first)[1])["UID"])
    assert str(vevent(ics(app, first)[1])["UID"]) == uid
    assert str(vevent(ics(app, second)[1])["UID"]) != uid
    assert first not in uid and first[:12] not in uid
    assert re.fullmatch(r"[0-9a-f]{32}@ticketing", uid)


def test_uid_domain_comes_from_config(app, make_screening):
    app.config["CALENDAR_UID_DOMAIN"] = "tickets.example.org"
    uid = str(vevent(ics(app, book(app, make_screening()))[1])["UID"])
    assert uid.endswith("@tickets.example.org")


def test_confirmed_is_confirmed_and_busy(app, make_screening):
    event = vevent(ics(app, book(app, make_screening()))[1])
    assert event["STATUS"] == "CONFIRMED" and event["TRANSP"] == "OPAQUE"


def test_waitlisted_is_tentative_without_a_code(app, make_screening):
    sid = make_screening(capacity=1)
    book(app, sid, "first@example.org")
    event = vevent(ics(app, book(app, sid, "second@example.org"))[1])
    assert event["STATUS"] == "TENTATIVE" and event["TRANSP"] == "TRANSPARENT"
    assert "waiting list" in str(event["DESCRIPTION"]) and "Ticket code" not in str(event["DESCRIPTION"])


def test_cancelled_registration_is_cancelled_with_a_higher_sequence(app, make_screening):
    secret = book(app, make_screening())
    before = vevent(ics(app, secret)[1])
    with app.app_context():
        booking.cancel(booking.find_by_secret(secret).id)
    after = vevent(ics(app, secret)[1])
    assert after["STATUS"] == "CANCELLED" and "Ticket code" not in str(after["DESCRIPTION"])
    assert after["UID"] == before["UID"] and after.decoded("SEQUENCE") > before.decoded("SEQUENCE")


def test_cancelled_screening_is_cancelled(app, make_screening):
    sid = make_screening()
    secret = book(app, sid)
    with app.app_context():
        db.session.execute(sa.update(Screening).where(Screening.id == sid).values(is_cancelled=True))
        db.session.commit()
    event = vevent(ics(app, secret)[1])
    assert event["STATUS"] == "CANCELLED" and "This screening is cancelled." in str(event["DESCRIPTION"])


def test_utc_event_uses_z_times_and_no_vtimezone(app, make_event, make_screening):
    raw, parsed = ics(app, book(app, make_screening(make_event(timezone="UTC"), starts_at=SUMMER)))
    assert b"DTSTART:20300710T183000Z\r\n" in raw and not parsed.walk("VTIMEZONE")


def test_route_answers_a_calendar_file(client, app, make_screening):
    secret = book(app, make_screening(title="Baqyt Qushağynda", starts_at=SUMMER))
    response = client.get(f"/r/{secret}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="baqyt-qushagynda-2030-07-10.ics"'
    event = vevent(Calendar.from_ical(response.data))
    assert str(event["SUMMARY"]) == "Baqyt Qushağynda"
    assert str(event["URL"]) == f"http://localhost/r/{secret}"


def test_route_file_name_is_ascii_for_a_cyrillic_title(client, app, make_screening):
    secret = book(app, make_screening(title="Бақыт құшағында", starts_at=WINTER))
    disposition = client.get(f"/r/{secret}/calendar.ics").headers["Content-Disposition"]
    assert disposition == 'attachment; filename="screening-2030-01-15.ics"'


def test_route_is_404_for_an_unknown_secret(client):
    assert client.get("/r/" + "x" * 32 + "/calendar.ics").status_code == 404


def test_route_guessing_is_throttled(app):
    app.config["LOOKUP_FAILURE_LIMIT"] = "3 per minute"
    guesser = app.test_client()
    statuses = [guesser.get(f"/r/{i:032d}/calendar.ics").status_code for i in range(5)]
    assert statuses == [404] * 3 + [429] * 2


def test_route_serves_a_cancelled_registration_as_cancelled(client, app, make_screening):
    secret = book(app, make_screening())
    with app.app_context():
        booking.cancel(booking.find_by_secret(secret).id)
    response = client.get(f"/r/{secret}/calendar.ics")
    assert response.status_code == 200 and b"STATUS:CANCELLED\r\n" in response.data


def test_ticket_page_links_to_the_calendar_file(client, app, make_screening):
    secret = book(app, make_screening())
    page = client.get(f"/r/{secret}").get_data(as_text=True)
    assert f'href="/r/{secret}/calendar.ics">Add to calendar</a>' in page


def test_waiting_list_page_links_to_a_tentative_entry(client, app, make_screening):
    sid = make_screening(capacity=1)
    book(app, sid, "first@example.org")
    secret = book(app, sid, "second@example.org")
    page = client.get(f"/r/{secret}").get_data(as_text=True)
    assert f'href="/r/{secret}/calendar.ics">Add to calendar (tentative' in page


def test_cancelled_page_offers_no_calendar_link(client, app, make_screening):
    secret = book(app, make_screening())
    with app.app_context():
        booking.cancel(booking.find_by_secret(secret).id)
    assert "calendar.ics" not in client.get(f"/r/{secret}").get_data(as_text=True)
