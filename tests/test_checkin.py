"""The door's rules alone: R2 (admit at most the seats, until an undo) and R5 (every scan logged)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ticketing.errors import InvalidInputError, NotFoundError, UndoRefusedError
from ticketing.extensions import db
from ticketing.models import CheckIn, Ticket
from ticketing.services import booking, checkin
from ticketing.services.accounts import create_device, create_user


def log_rows():
    return db.session.execute(sa.select(CheckIn.result, CheckIn.reason, CheckIn.seats).order_by(CheckIn.id)).all()


def test_admits_everyone_on_the_ticket_once(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid, seats=3)
    first = checkin.check_in(code, sid)
    assert (first.result, first.admitted_now, first.ticket["admitted"], first.ticket["name"]) == ("admitted", 3, 3, "Алия Ануарбек")
    second = checkin.check_in(code.lower(), sid)
    assert (second.result, second.reason) == ("already_checked_in", "all_in")
    assert [e["seats"] for e in second.earlier] == [3]
    assert log_rows() == [("admitted", "", 3), ("already_checked_in", "all_in", 0)]


def test_a_family_comes_in_two_goes(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid, seats=3)
    assert checkin.check_in(code, sid, seats=2).ticket["admitted"] == 2
    too_many = checkin.check_in(code, sid, seats=2)
    assert (too_many.result, too_many.reason, too_many.ticket["admitted"]) == ("already_checked_in", "fewer_seats_left", 2)
    last = checkin.check_in(code, sid)
    assert (last.result, last.admitted_now, last.ticket["admitted"]) == ("admitted", 1, 3)


@pytest.mark.parametrize("garbage", ["", "nonsense", "A" * 27, None, "<script>", "Ж" * 26, "x" * 5000,
                                     "\x00\x01\xff binary", "\u202eEDOC", "🎬" * 30, 12345, b"bytes"])
def test_unknown_codes_are_not_valid_and_logged(ctx, make_screening, garbage):
    sid = make_screening()
    verdict = checkin.check_in(garbage, sid)
    assert (verdict.result, verdict.reason, verdict.ticket) == ("not_valid", "unknown_code", None)
    assert log_rows() == [("not_valid", "unknown_code", 0)]


def test_refusals_say_why(ctx, make_screening, booked):
    here, elsewhere, full = make_screening(), make_screening(title="Other"), make_screening(capacity=0)
    other_code = booked(elsewhere)
    verdict = checkin.check_in(other_code, here)
    assert (verdict.result, verdict.reason, verdict.ticket["screening"]["title"]) == ("not_valid", "other_screening", "Other")
    waiting_code = booked(full)
    assert checkin.check_in(waiting_code, full).reason == "waitlisted"
    code = booked(here)
    booking.cancel(db.session.scalar(sa.select(Ticket.registration_id).where(Ticket.code == code)))
    assert checkin.check_in(code, here).reason == "cancelled"


def test_cancelled_screening(ctx, make_screening, booked):
    from ticketing.models import Screening

    sid = make_screening()
    code = booked(sid)
    db.session.get(Screening, sid).is_cancelled = True
    db.session.commit()
    assert checkin.check_in(code, sid).reason == "screening_cancelled"


def test_bad_seat_counts_and_unknown_screening(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid)
    for bad in (0, -1, 10**9, "2", 1.5, True):
        with pytest.raises(InvalidInputError):
            checkin.check_in(code, sid, seats=bad)
    with pytest.raises(NotFoundError):
        checkin.check_in(code, 999)
    assert log_rows() == []


def test_undo_lets_the_ticket_in_again_and_is_logged(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid, seats=2)
    user, _ = create_user("door@example.org", "door")
    device, _ = create_device("Door 1 phone")
    admitted = checkin.check_in(code, sid, user_id=user.id, device_id=device.id)
    entry = checkin.undo(admitted.checkin_id, user_id=user.id)
    assert entry.result == "undone" and entry.undoes_id == admitted.checkin_id
    with pytest.raises(UndoRefusedError):
        checkin.undo(admitted.checkin_id, user_id=user.id)  # undone already
    again = checkin.check_in(code, sid)
    assert (again.result, again.admitted_now, again.earlier) == ("admitted", 2, [])
    refused = checkin.check_in(code, sid)
    assert [(e["staff"], e["device"]) for e in refused.earlier] == [(None, None)]
    with pytest.raises(UndoRefusedError):
        checkin.undo(refused.checkin_id, by_admin=True)  # not an admission
    unknown = checkin.check_in("NOT-A-TICKET-CODE", sid)
    assert unknown.result == "not_valid"
    with pytest.raises(UndoRefusedError):
        checkin.undo(unknown.checkin_id, by_admin=True)  # a scan of no ticket: nobody was let in
    with pytest.raises(NotFoundError):
        checkin.undo(unknown.checkin_id + 1000)


def test_only_the_door_that_let_them_in_undoes_for_a_while_and_an_admin_always(ctx, make_screening, booked):
    """An admission is taken back only by the same staff login or device within the undo window
    (a volunteer's own mistake), or by an admin at any time: another door cannot make people
    "not in" after the fact, and the refusal says who can."""
    sid = make_screening()
    door, _ = create_user("door@example.org", "door")
    other, _ = create_user("other-door@example.org", "door")
    phone, _ = create_device("Door 1 phone")
    other_phone, _ = create_device("Door 2 phone")
    by_user = checkin.check_in(booked(sid, name="By User"), sid, user_id=door.id)
    by_phone = checkin.check_in(booked(sid, name="By Phone"), sid, device_id=phone.id)
    for checkin_id, who in ((by_user.checkin_id, {"user_id": other.id}), (by_user.checkin_id, {"device_id": phone.id}),
                            (by_phone.checkin_id, {"device_id": other_phone.id}), (by_phone.checkin_id, {"user_id": door.id}),
                            (by_user.checkin_id, {})):
        with pytest.raises(UndoRefusedError) as refused:
            checkin.undo(checkin_id, **who)
        assert "15 minutes" in refused.value.message and "admin" in refused.value.message
    assert checkin.undo(by_phone.checkin_id, device_id=phone.id).result == "undone"
    # Sixteen minutes later, the door that let them in can no longer take them back; an admin can.
    db.session.get(CheckIn, by_user.checkin_id).recorded_at -= checkin.UNDO_WINDOW + timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(UndoRefusedError):
        checkin.undo(by_user.checkin_id, user_id=door.id)
    assert db.session.scalar(sa.select(sa.func.sum(Ticket.admitted))) == 1
    assert checkin.undo(by_user.checkin_id, by_admin=True).result == "undone"
    assert db.session.scalar(sa.select(sa.func.sum(Ticket.admitted))) == 0
    assert [r.result for r in log_rows()] == ["admitted", "admitted", "undone", "undone"]


def test_the_short_code_printed_on_the_ticket_admits_in_any_case_with_or_without_dash(ctx, make_screening, booked):
    """DESIGN's contract: the short code (ABCD-EFGH) typed at the door is judged like the full code,
    when it is the short code of one ticket of this screening."""
    sid, other = make_screening(), make_screening()
    codes = [booked(sid, seats=2) for _ in range(4)]
    elsewhere = booked(other)
    typed = [f"{codes[0][:4]}-{codes[0][4:8]}", codes[1][:8].lower(), f" {codes[2][:4].lower()} {codes[2][4:8]} ",
             f"{codes[3][:4]}-{codes[3][4:8].lower()}"]
    verdicts = [checkin.check_in(text, sid) for text in typed]
    assert [(v.result, v.admitted_now, v.ticket["code"]) for v in verdicts] == [("admitted", 2, code) for code in codes]
    again = checkin.check_in(typed[0], sid)
    assert (again.result, again.reason, again.ticket["code"]) == ("already_checked_in", "all_in", codes[0])
    # Another screening's short code, a short code of no ticket, too short or too long: not a ticket here.
    for text in (elsewhere[:8], "AAAA-AAAA", codes[0][:7], codes[0][:9]):  # AAAAAAAA: one chance in 2**40
        assert (checkin.check_in(text, sid).result, checkin.check_in(text, sid).reason) == ("not_valid", "unknown_code")
    assert db.session.scalar(sa.select(Ticket.admitted).where(Ticket.code == elsewhere)) == 0
    assert [r.result for r in log_rows()][:5] == ["admitted"] * 4 + ["already_checked_in"]


def test_a_short_code_two_tickets_share_admits_neither(ctx, make_screening, booked):
    """Eight characters carry 40 bits: two tickets of one screening sharing them is all but
    impossible, but if it happens the short code is not enough and the door says so."""
    sid = make_screening()
    first, second = booked(sid), booked(sid, name="Second")
    shared = "ABCDEFGH"
    db.session.execute(sa.update(Ticket).where(Ticket.code == first).values(code=shared + first[8:]))
    db.session.execute(sa.update(Ticket).where(Ticket.code == second).values(code=shared + second[8:]))
    db.session.commit()
    assert checkin.check_in("abcd-efgh", sid).reason == "unknown_code"
    assert checkin.check_in(shared + first[8:], sid).result == "admitted"


def test_earlier_admissions_name_staff_and_device(ctx, make_screening, booked):
    sid = make_screening()
    code = booked(sid, seats=2)
    user, _ = create_user("door@example.org", "door")
    device, _ = create_device("Door 2 tablet")
    checkin.check_in(code, sid, seats=1, user_id=user.id, device_id=device.id)
    verdict = checkin.check_in(code, sid, seats=1)
    assert [(e["staff"], e["device"], e["seats"]) for e in verdict.earlier] == [("door@example.org", "Door 2 tablet", 1)]
    row = db.session.get(CheckIn, verdict.checkin_id - 1)
    assert (row.staff_user_id, row.device_id, row.screening_id) == (user.id, device.id, sid)


def test_screening_counts(ctx, make_screening, booked):
    sid = make_screening(capacity=3)
    code = booked(sid, seats=2)
    booked(sid, seats=1)
    booked(sid, seats=2)  # waitlisted
    checkin.check_in(code, sid, seats=1)
    assert checkin.screening_counts([sid]) == {sid: (3, 2, 1, 0)}


def test_search_by_name_email_and_code(ctx, make_screening):
    sid = make_screening()
    reg = booking.book(sid, "Zeynep Yılmaz", "zeynep@example.org", 1).registration
    booking.book(sid, "Ana 100%_", "ana@example.org", 1)
    code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == reg.id))
    assert [r.Registration.name for r in checkin.search(sid, "zeynep")] == ["Zeynep Yılmaz"]
    assert [r.Registration.name for r in checkin.search(sid, "ZEYNEP@Example.org ")] == ["Zeynep Yılmaz"]
    assert checkin.search(sid, "zeynep@") == [] and checkin.search(sid, "example.org") == []  # a whole address only
    assert [r.Registration.name for r in checkin.search(sid, code[:4] + "-" + code[4:8])] == ["Zeynep Yılmaz"]
    assert [r.Registration.name for r in checkin.search(sid, "100%_")] == ["Ana 100%_"]
    assert [r.Registration.name for r in checkin.search(sid, "0%_")] == ["Ana 100%_"]
    assert checkin.search(sid, "Ze") == [] and checkin.search(sid, "%") == []  # fewer than 3 characters
    booking.book(sid, "Ерғали Құдайберген", "erg@example.org", 1)
    assert [r.Registration.name for r in checkin.search(sid, "ерғали құ")] == ["Ерғали Құдайберген"]
    assert checkin.search(sid, "") == [] and checkin.search(sid, "x" * 500) == []
