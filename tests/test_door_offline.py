"""The door offline (issue 7), the server's side: the copy a device keeps, scans recorded once
by their id, the device's time, offline decisions and conflicts (R2, R5)."""
import csv
import hashlib
import io
from datetime import timedelta, timezone

import pytest
import sqlalchemy as sa

from factories import code_of, make_registration, make_ticket
from ticketing.errors import InvalidInputError, ScanIdTakenError
from ticketing.extensions import db
from ticketing.models import CheckIn, Registration, Ticket, utcnow
from ticketing.services import booking, checkin
from ticketing.services.checkin import Offline

ADMITTED_OFFLINE = lambda seats=1: Offline("admitted", "", seats)  # noqa: E731


def rows(code=None):
    query = sa.select(CheckIn).order_by(CheckIn.id)
    if code:
        query = query.join(Ticket).where(Ticket.code == code)
    return db.session.scalars(query).all()


def admitted(code):
    return db.session.scalar(sa.select(Ticket.admitted).where(Ticket.code == code))


# --- the copy ------------------------------------------------------------------------------------

def test_the_copy_holds_hashes_names_seats_and_status_never_a_code_or_an_email(ctx, make_screening, booked):
    sid, other = make_screening(), make_screening(title="Myn Bala")
    confirmed, family, elsewhere = booked(sid), booked(sid, seats=3, name="Family"), booked(other)
    checkin.check_in(family, sid, seats=1)
    cancelled = booked(sid, name="Gone")
    booking.cancel(db.session.scalar(sa.select(Registration.id).join(Ticket).where(Ticket.code == cancelled)))
    copy = checkin.door_copy(db.session.get(checkin.Screening, sid))
    text = repr(copy)
    for code in (confirmed, family, elsewhere, cancelled):
        assert code not in text
    assert "@" not in text
    by_hash = {t["hash"]: t for t in copy["tickets"]}
    assert by_hash[hashlib.sha256(family.encode()).hexdigest()] == {
        "hash": hashlib.sha256(family.encode()).hexdigest(), "name": "Family", "seats": 3, "admitted": 1, "status": "confirmed"}
    assert by_hash[checkin.code_hash(cancelled)]["status"] == "cancelled"
    assert copy["other_tickets"] == {checkin.code_hash(elsewhere): other}
    assert copy["other_screenings"][str(other)]["title"] == "Myn Bala"
    assert len(copy["tickets"]) == 3 and copy["is_cancelled"] is False


def test_the_copy_stays_within_the_event(ctx, make_screening, make_event, booked):
    sid = make_screening()
    foreign = make_screening(event_id=make_event(slug="other-fest"))
    booked(foreign)
    copy = checkin.door_copy(db.session.get(checkin.Screening, sid))
    assert copy["other_tickets"] == {} and copy["other_screenings"] == {}


# --- scans recorded once, at the device's time ------------------------------------------------------

def test_a_scan_sent_twice_is_recorded_once_and_answered_the_same(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid, seats=2)
    first = checkin.check_in(code, sid, scan_id="scan-0001-aaaa")
    again = checkin.check_in(code, sid, scan_id="scan-0001-aaaa")
    assert (first.result, again.result) == ("admitted", "admitted")
    assert again.checkin_id == first.checkin_id and again.admitted_now == 2
    assert len(rows()) == 1 and admitted(code) == 2
    other = checkin.check_in(code, sid, scan_id="scan-0002-bbbb")  # a new scan of the same ticket
    assert other.result == "already_checked_in" and len(rows()) == 2


def test_an_offline_admission_is_recorded_at_the_device_time(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid, seats=2)
    at = utcnow() - timedelta(minutes=12)
    verdict = checkin.check_in(code, sid, scanned_at=at, scan_id="offline-1", offline=ADMITTED_OFFLINE(2))
    assert (verdict.result, verdict.admitted_now, verdict.offline, verdict.conflict) == ("admitted", 2, True, False)
    [row] = rows()
    assert (row.scanned_at, row.offline_seats, row.seats, row.is_conflict) == (at, 2, 2, False)
    assert row.recorded_at > at and row.is_offline
    assert admitted(code) == 2


def test_a_device_clock_ahead_of_the_server_counts_as_now(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid)
    checkin.check_in(code, sid, scanned_at=utcnow() + timedelta(hours=3), offline=ADMITTED_OFFLINE())
    [row] = rows()
    assert row.scanned_at == row.recorded_at


# --- the 1.5 s time-out: the server judged the scan, the device decided it too ---------------------

def test_a_re_sent_scan_saying_turned_away_keeps_the_admission_recorded(ctx, make_screening, booked):
    """The online request arrived after the device stopped waiting; the device, from an older
    copy, says it turned the person away. A recorded scan is final: the admission stands (the door
    that made it may undo it, logged), the re-send is answered with what was recorded."""
    sid = make_screening()
    code = booked(sid, seats=2)
    online = checkin.check_in(code, sid, scan_id="phone-a-0042")
    assert online.result == "admitted" and admitted(code) == 2
    synced = checkin.check_in(code, sid, scanned_at=utcnow(), scan_id="phone-a-0042",
                              offline=Offline("not_valid", "unknown_code", 0))
    assert (synced.checkin_id, synced.result, synced.reason, synced.admitted_now) == (online.checkin_id, "admitted", "", 2)
    [row] = rows()
    assert (row.result, row.seats, row.offline_seats, row.is_conflict) == ("admitted", 2, None, False)
    assert admitted(code) == 2
    assert checkin.check_in(code, sid).result == "already_checked_in"


REFUSALS = [(result, reason) for result, reason in checkin.MESSAGES if result != "admitted"]


@pytest.mark.parametrize("result, reason", REFUSALS)
def test_admit_then_rewrite_as_an_offline_refusal_lets_no_one_else_in(ctx, make_screening, booked, result, reason):
    """The attack found in issue 18: after the server admits a scan, the same scan id sent again
    as an offline refusal took the seat back, so that one one-seat ticket let in five people
    while the log showed only refusals. Now every round after the first is refused at the door,
    the log keeps each admission, and people in reads the truth."""
    sid = make_screening()
    code = booked(sid, seats=1)
    verdicts = []
    for round_ in range(5):
        scan_id = f"attack-{round_:04d}"
        verdicts.append(checkin.check_in(code, sid, scan_id=scan_id).result)
        rewrite = checkin.check_in(code, sid, scanned_at=utcnow(), scan_id=scan_id, offline=Offline(result, reason, 0))
        assert rewrite.result == verdicts[-1] and rewrite.conflict is False
    assert verdicts == ["admitted"] + ["already_checked_in"] * 4
    assert admitted(code) == 1
    assert [(r.result, r.seats, r.offline_seats) for r in rows()] == (
        [("admitted", 1, None)] + [("already_checked_in", 0, None)] * 4)
    assert checkin.screening_counts([sid])[sid][2] == 1  # people in


def test_a_re_sent_admission_of_fewer_seats_takes_no_one_back(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid, seats=3)
    checkin.check_in(code, sid, scan_id="phone-a-0046")
    again = checkin.check_in(code, sid, scanned_at=utcnow(), scan_id="phone-a-0046", offline=ADMITTED_OFFLINE(1))
    assert (again.result, again.admitted_now, again.conflict) == ("admitted", 3, False)
    assert admitted(code) == 3 and [(r.seats, r.offline_seats) for r in rows()] == [(3, None)]


def test_let_in_at_the_door_while_the_server_refused_the_same_scan_is_a_conflict(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid)
    booking.cancel(db.session.scalar(sa.select(Registration.id).join(Ticket).where(Ticket.code == code)))
    online = checkin.check_in(code, sid, scan_id="phone-a-0043")
    assert (online.result, online.reason) == ("not_valid", "cancelled")
    synced = checkin.check_in(code, sid, scanned_at=utcnow(), scan_id="phone-a-0043", offline=ADMITTED_OFFLINE())
    assert (synced.result, synced.conflict, synced.offline) == ("not_valid", True, True)
    [row] = rows()
    assert (row.result, row.reason, row.offline_seats, row.is_conflict, row.seats) == ("not_valid", "cancelled", 1, True, 0)
    assert admitted(code) == 0
    # Flagged once: a further re-send, whatever it says, changes nothing more.
    checkin.check_in(code, sid, scanned_at=utcnow(), scan_id="phone-a-0043", offline=ADMITTED_OFFLINE(5))
    assert [(r.offline_seats, r.is_conflict) for r in rows()] == [(1, True)]


def test_the_same_decision_sent_after_the_online_answer_changes_nothing(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid, seats=2)
    checkin.check_in(code, sid, scan_id="phone-a-0044")
    checkin.check_in(code, sid, scanned_at=utcnow(), scan_id="phone-a-0044", offline=ADMITTED_OFFLINE(2))
    [row] = rows()
    assert (row.result, row.seats, row.offline_seats, row.is_conflict) == ("admitted", 2, None, False) and admitted(code) == 2


def test_a_scan_id_used_for_another_code_or_screening_is_refused(ctx, make_screening, booked):
    sid, other = make_screening(), make_screening()
    code, second = booked(sid), booked(sid, name="Second Person")
    checkin.check_in(code, sid, scan_id="phone-a-0045")
    for wrong_code, wrong_screening in ((second, sid), (code, other)):
        with pytest.raises(ScanIdTakenError):
            checkin.check_in(wrong_code, wrong_screening, scan_id="phone-a-0045")
    assert len(rows()) == 1 and admitted(second) == 0


def test_an_offline_refusal_admits_no_one_even_for_a_valid_ticket(ctx, make_screening, booked):
    """The copy was older than the ticket: the device turned the person away. The log says so,
    and the ticket still admits everyone when shown again."""
    sid = make_screening()
    code = booked(sid)
    verdict = checkin.check_in(code, sid, scanned_at=utcnow(), offline=Offline("not_valid", "unknown_code", 0))
    assert (verdict.result, verdict.reason, verdict.admitted_now, verdict.conflict) == ("not_valid", "unknown_code", 0, False)
    assert admitted(code) == 0 and rows()[0].offline_seats == 0
    assert checkin.check_in(code, sid).result == "admitted"


# --- conflicts --------------------------------------------------------------------------------------

def test_one_ticket_admitted_offline_on_two_devices_is_recorded_twice_the_second_a_conflict(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid)
    first = checkin.check_in(code, sid, scanned_at=utcnow() - timedelta(minutes=3), scan_id="phone-a-1", offline=ADMITTED_OFFLINE())
    second = checkin.check_in(code, sid, scanned_at=utcnow() - timedelta(minutes=2), scan_id="phone-b-1", offline=ADMITTED_OFFLINE())
    assert (first.result, first.conflict) == ("admitted", False)
    assert (second.result, second.reason, second.conflict) == ("already_checked_in", "all_in", True)
    assert [e["checkin_id"] for e in second.earlier] == [first.checkin_id]  # the second device is told by whom
    assert [(r.result, r.seats, r.offline_seats, r.is_conflict) for r in rows(code)] == [
        ("admitted", 1, 1, False), ("already_checked_in", 0, 1, True)]
    assert admitted(code) == 1  # R2: the ticket's count never exceeds its seats


def test_an_offline_admission_beyond_what_is_left_admits_the_rest_and_is_a_conflict(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid, seats=3)
    checkin.check_in(code, sid, seats=2)
    verdict = checkin.check_in(code, sid, scanned_at=utcnow(), offline=ADMITTED_OFFLINE(3))
    assert (verdict.result, verdict.admitted_now, verdict.conflict) == ("admitted", 1, True)
    assert admitted(code) == 3 and rows(code)[-1].offline_seats == 3


def test_a_ticket_cancelled_after_the_copy_was_taken_is_refused_online_and_a_conflict_if_admitted_offline(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid)
    booking.cancel(db.session.scalar(sa.select(Registration.id).join(Ticket).where(Ticket.code == code)))
    assert (checkin.check_in(code, sid).result, checkin.check_in(code, sid).reason) == ("not_valid", "cancelled")
    late = checkin.check_in(code, sid, scanned_at=utcnow(), offline=ADMITTED_OFFLINE())
    assert (late.result, late.reason, late.conflict) == ("not_valid", "cancelled", True)
    assert admitted(code) == 0


def test_an_undo_of_a_pure_conflict_is_refused_and_counts_stay(ctx, make_screening, booked):
    from ticketing.errors import UndoRefusedError

    sid = make_screening()
    code = booked(sid)
    checkin.check_in(code, sid)
    conflict = checkin.check_in(code, sid, scanned_at=utcnow(), offline=ADMITTED_OFFLINE())
    with pytest.raises(UndoRefusedError):
        checkin.undo(conflict.checkin_id, by_admin=True)
    assert admitted(code) == 1


@pytest.mark.parametrize("offline", [
    ("admitted", "", 0), ("not_valid", "unknown_code", 1), ("maybe", "", 1), ("admitted", "because", 1),
    ("admitted", "cancelled", 1), ("not_valid", "", 0), ("already_checked_in", "unknown_code", 0),
    ("not_valid", ["cancelled"], 0), ("not_valid", {"a": 1}, 0), (None, None, 0),
    ("admitted", "", -1), ("admitted", "", True), ("admitted", "", "1"), ("admitted", "", 10**6),
])
def test_an_offline_decision_that_makes_no_sense_is_refused(offline):
    with pytest.raises(InvalidInputError) as error:
        Offline(*offline)
    assert "offline" in error.value.fields


# --- through the API ----------------------------------------------------------------------------

@pytest.fixture
def api(app, client):
    """Call the API with a device token; every answer is checked against the OpenAPI document."""
    from test_api import assert_matches_spec
    from ticketing.services.accounts import create_device

    with app.app_context():
        token = create_device("Door 2 tablet")[1]
    spec = client.get("/api/v1/openapi.json").get_json()

    def call(method, path, json=None):
        response = client.open("/api/v1" + path, method=method, json=json, headers={"Authorization": f"Bearer {token}"})
        assert_matches_spec(spec, method, path, response)
        return response

    return call


def test_the_copy_through_the_api_is_not_cached_and_matches_the_document(app, api, make_screening):
    sid = make_screening()
    with app.app_context():
        code = make_ticket(sid, "Ana", "ana@example.org", 2)
    response = api("GET", f"/screenings/{sid}/door-copy")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    [ticket] = response.get_json()["tickets"]
    assert ticket["hash"] == hashlib.sha256(code.encode()).hexdigest() and ticket["name"] == "Ana"
    assert code not in response.get_data(as_text=True)
    assert api("GET", "/screenings/999/door-copy").status_code == 404


def test_door_staff_of_another_event_get_no_copy(app, client, make_screening, make_event):
    from pages import hidden
    from ticketing.services.accounts import create_user

    sid = make_screening()
    with app.app_context():
        create_user("door2@example.org", "door", "a long enough secret", events=[make_event(slug="elsewhere")])
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"email": "door2@example.org", "password": "a long enough secret",
                                      "csrf_token": hidden(page, "csrf_token")})
    assert client.get(f"/api/v1/screenings/{sid}/door-copy").status_code == 403


def test_a_synced_scan_through_the_api_is_recorded_once_with_the_device_time(app, api, make_screening):
    sid = make_screening()
    with app.app_context():
        code = make_ticket(sid, "Ana", "ana@example.org", 1)
    at = (utcnow() - timedelta(hours=2)).replace(microsecond=250000)
    scan = {"code": code, "screening": sid, "scan_id": "2f1c0c1e-9f5e-4c53-9d61-3d1f4c7e0a11",
            "scanned_at": at.astimezone(timezone(timedelta(hours=1))).isoformat(),  # Brussels' winter offset
            "offline": {"result": "admitted", "reason": "", "seats": 1}}
    answers = [api("POST", "/checkins", scan).get_json() for _ in range(3)]  # a sync retried twice
    assert {a["checkin_id"] for a in answers} == {answers[0]["checkin_id"]}
    assert answers[0]["result"] == "admitted" and answers[0]["offline"] is True and answers[0]["conflict"] is False
    with app.app_context():
        [row] = db.session.scalars(sa.select(CheckIn)).all()
        assert row.scanned_at == at
        assert row.scan_id == scan["scan_id"] and row.offline_seats == 1


@pytest.mark.parametrize("skew, offline, device_time_kept", [
    (-timedelta(hours=2), True, True),
    (timedelta(hours=3), True, False),  # ahead of the server: now
    (-timedelta(days=8), True, False),  # a wrong clock: now
    (-timedelta(days=365 * 56), True, False),  # a phone reset to 1970
    (-timedelta(hours=2), False, False),  # an online scan happens now, whatever the device says
])
def test_which_device_times_the_api_keeps(app, api, make_screening, skew, offline, device_time_kept):
    sid = make_screening()
    with app.app_context():
        code = make_ticket(sid, "Ana", "ana@example.org", 1)
    at = (utcnow() + skew).replace(microsecond=0)
    scan = {"code": code, "screening": sid, "scanned_at": at.isoformat()}
    if offline:
        scan["offline"] = {"result": "admitted", "reason": "", "seats": 1}
    assert api("POST", "/checkins", scan).status_code == 200
    with app.app_context():
        [row] = db.session.scalars(sa.select(CheckIn)).all()
        assert (row.scanned_at == at) is device_time_kept
        assert device_time_kept or row.scanned_at == row.recorded_at


def test_the_attack_through_the_api_three_rounds_admit_one_person(app, client, api, make_screening):
    """Issue 18's reproduction, as it was run: admit a scan through the API, send the same scan
    id again as an offline refusal (from this device and from another), three rounds. One seat,
    one person in; another device cannot undo the admission either."""
    from test_api import assert_matches_spec
    from ticketing.services.accounts import create_device

    sid = make_screening()
    with app.app_context():
        code = make_ticket(sid, "Ana", "ana@example.org", 1)
        other = create_device("Another phone")[1]
    spec = client.get("/api/v1/openapi.json").get_json()

    def from_other(method, path, json=None):
        response = client.open("/api/v1" + path, method=method, json=json, headers={"Authorization": f"Bearer {other}"})
        assert_matches_spec(spec, method, path, response)
        return response

    refusal = {"result": "not_valid", "reason": "unknown_code", "seats": 0}
    answers = []
    for round_, rewriter in enumerate((api, from_other, api)):
        scan = {"code": code, "screening": sid, "scan_id": f"attack-round-{round_}"}
        answers.append(api("POST", "/checkins", scan).get_json())
        rewritten = rewriter("POST", "/checkins", {**scan, "scanned_at": utcnow().isoformat(), "offline": refusal})
        assert rewritten.status_code == 200
        assert (rewritten.get_json()["result"], rewritten.get_json()["checkin_id"]) == (answers[-1]["result"], answers[-1]["checkin_id"])
    assert [a["result"] for a in answers] == ["admitted", "already_checked_in", "already_checked_in"]
    refused_undo = from_other("POST", f"/checkins/{answers[0]['checkin_id']}/undo")
    assert refused_undo.status_code == 409 and "admin" in refused_undo.get_json()["error"]["message"]
    assert api("GET", f"/screenings/{sid}").get_json()["people_in"] == 1
    with app.app_context():
        assert admitted(code) == 1
        assert [(r.result, r.seats) for r in rows()] == [("admitted", 1), ("already_checked_in", 0), ("already_checked_in", 0)]


def test_the_second_device_is_told_of_the_conflict_when_it_syncs(app, api, make_screening):
    sid = make_screening()
    with app.app_context():
        code = make_ticket(sid, "Ana", "ana@example.org", 1)
    offline = {"result": "admitted", "reason": "", "seats": 1}
    api("POST", "/checkins", {"code": code, "screening": sid, "scan_id": "phone-a-0001",
                              "scanned_at": "2026-11-28T18:01:00Z", "offline": offline})
    second = api("POST", "/checkins", {"code": code, "screening": sid, "scan_id": "phone-b-0001",
                                       "scanned_at": "2026-11-28T18:02:00Z", "offline": offline}).get_json()
    assert (second["result"], second["conflict"]) == ("already_checked_in", True)
    assert second["earlier"][0]["device"] == "Door 2 tablet"


@pytest.mark.parametrize("extra, field", [
    ({"scan_id": "short"}, "scan_id"),
    ({"scan_id": "a" * 65}, "scan_id"),
    ({"scan_id": "<script>alert(1)</script>"}, "scan_id"),
    ({"scan_id": 12345678}, "scan_id"),
    ({"scanned_at": "yesterday"}, "scanned_at"),
    ({"scanned_at": "2026-11-28T19:05:00"}, "scanned_at"),  # no offset: whose 19:05?
    # (9999-12-31T23:59:59-14:00, beyond the last UTC time, is a clock far off: test_api.py)
    ({"scanned_at": "x" * 10_000}, "scanned_at"),
    ({"offline": {"result": "admitted", "reason": "", "seats": 1}}, "scanned_at"),
    ({"offline": "admitted", "scanned_at": "2026-11-28T18:00:00Z"}, "offline"),
    ({"offline": {"result": "admitted", "reason": "", "seats": 0}, "scanned_at": "2026-11-28T18:00:00Z"}, "offline"),
    ({"offline": {"result": "not_valid", "reason": "\u0000", "seats": 0}, "scanned_at": "2026-11-28T18:00:00Z"}, "offline"),
    ({"offline": {"result": "admitted", "reason": "cancelled", "seats": 1}, "scanned_at": "2026-11-28T18:00:00Z"}, "offline"),
    ({"offline": {"result": "not_valid", "reason": ["x"], "seats": 0}, "scanned_at": "2026-11-28T18:00:00Z"}, "offline"),
])
def test_bad_offline_fields_get_a_field_message_and_record_nothing(app, api, make_screening, extra, field):
    sid = make_screening()
    with app.app_context():
        code = make_ticket(sid, "Ana", "ana@example.org", 1)
    response = api("POST", "/checkins", {"code": code, "screening": sid, **extra})
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0
        assert db.session.scalar(sa.select(Ticket.admitted).where(Ticket.code == code)) == 0


# --- the organizers' pages ------------------------------------------------------------------------

def test_a_conflict_is_shown_on_the_dashboards_the_registration_and_in_the_export(app, admin, make_screening):
    sid = make_screening(title="Myn Bala")
    with app.app_context():
        registration_id = make_registration(sid, "Aigerim Конфликт", "aigerim@example.org", 1)
        code = code_of(registration_id)
        at = utcnow() - timedelta(minutes=30)
        checkin.check_in(code, sid, scanned_at=at, scan_id="phone-a-0001", offline=ADMITTED_OFFLINE())
        checkin.check_in(code, sid, scanned_at=at + timedelta(minutes=1), scan_id="phone-b-0001", offline=ADMITTED_OFFLINE())
        event_id = db.session.get(checkin.Screening, sid).event_id
    page = admin.get(f"/admin/screenings/{sid}/dashboard").get_data(as_text=True)
    assert 'id="door-conflicts"' in page and "1 conflict at the door" in page
    assert "Aigerim Конфликт" in page and f"/admin/registrations/{registration_id}" in page
    assert "Conflict: 1 person let in offline had no seat left on this ticket" in page
    event_page = admin.get(f"/admin/events/{event_id}/dashboard").get_data(as_text=True)
    assert "1 conflict at the door" in event_page and f"/admin/screenings/{sid}/dashboard#door-conflicts" in event_page
    history = admin.get(f"/admin/registrations/{registration_id}").get_data(as_text=True)
    assert history.count("decided offline on the device, sent later") == 2
    assert history.count('class="history-conflict"') == 1
    export = admin.get(f"/admin/screenings/{sid}/export.csv?what=checkins").get_data(as_text=True)
    rows_ = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert rows_[0][-2:] == ["Let in offline", "Conflict"]
    assert [row[-2:] for row in rows_[1:]] == [["1", ""], ["1", "conflict"]]


def test_conflicts_are_counted_per_screening_of_the_event(app, admin, make_event, make_screening):
    event_id = make_event()
    first, second, calm = (make_screening(event_id, title=title) for title in ("First", "Second", "Calm"))
    with app.app_context():
        for sid, people in ((first, 2), (second, 1)):
            for n in range(people):
                code = make_ticket(sid, f"P {sid} {n}", f"p{sid}.{n}@example.org", 1)
                for phone in ("a", "b"):  # let in offline by two phones: one conflict each
                    checkin.check_in(code, sid, scan_id=f"phone-{phone}-{sid}-{n}", offline=ADMITTED_OFFLINE())
        checkin.check_in(make_ticket(calm, "Calm", "calm@example.org", 1), calm)
        assert checkin.conflict_counts([first, second, calm]) == {first: 2, second: 1}
        assert checkin.conflict_counts([]) == {}
    event_page = admin.get(f"/admin/events/{event_id}/dashboard").get_data(as_text=True)
    assert "3 conflicts at the door" in event_page
    assert f"/admin/screenings/{first}/dashboard#door-conflicts" in event_page
    assert f"/admin/screenings/{calm}/dashboard#door-conflicts" not in event_page


def test_no_conflict_no_notice(app, admin, make_screening):
    sid = make_screening()
    with app.app_context():
        checkin.check_in(make_ticket(sid, "Ana", "ana@example.org", 1), sid)
    assert 'id="door-conflicts"' not in admin.get(f"/admin/screenings/{sid}/dashboard").get_data(as_text=True)
