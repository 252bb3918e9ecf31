"""Domain rules under concurrency: several processes, many threads, both databases (R1, R6, R7)."""
import random

import pytest
import sqlalchemy as sa

from racers import race
from ticketing.extensions import db
from ticketing.models import OutboxMessage, Registration, Screening
from ticketing.services import booking

pytestmark = pytest.mark.slow


def confirmed_seats(sid):
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Registration.seats), 0)).where(
            Registration.screening_id == sid, Registration.status == "confirmed"
        )
    )


def test_200_signups_from_4_processes_fill_50_seats_exactly(ctx, database_url, tmp_path, make_screening):
    sid = make_screening(capacity=50, max_seats=2)
    rng = random.Random(7)
    jobs = [("book", sid, f"Person {i}", f"p{i}@example.org", rng.choice([1, 1, 1, 2])) for i in range(200)]
    results = race(database_url, tmp_path, jobs)

    db.session.rollback()  # a fresh snapshot: see what the racers committed
    outcomes = [outcome for _, outcome in results]
    assert len(outcomes) == 200
    assert set(outcomes) <= {"confirmed", "waitlisted"}
    assert confirmed_seats(sid) == 50
    assert db.session.get(Screening, sid).seats_taken == 50
    registrations = db.session.scalar(sa.select(sa.func.count()).select_from(Registration))
    assert registrations == 200
    assert outcomes.count("confirmed") == db.session.scalar(
        sa.select(sa.func.count()).where(Registration.status == "confirmed")
    )


def test_same_email_racing_books_once(ctx, database_url, tmp_path, make_screening):
    sid = make_screening(capacity=50)
    jobs = [("book", sid, "Ana", "Ana@Example.org" if i % 2 else "ana@example.org", 1) for i in range(64)]
    results = race(database_url, tmp_path, jobs)

    outcomes = sorted(outcome for _, outcome in results)
    assert outcomes == ["confirmed"] + ["repeat"] * 63
    db.session.rollback()  # a fresh snapshot: see what the racers committed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
    assert db.session.get(Screening, sid).seats_taken == 1
    kinds = db.session.scalars(sa.select(OutboxMessage.kind)).all()
    assert sorted(kinds) == ["confirmation", "repeat_signup"]  # re-sent once, not 63 times


def test_cancellations_racing_signups_keep_the_waiting_list_fair(ctx, database_url, tmp_path, make_screening):
    sid = make_screening(capacity=30, max_seats=3)
    rng = random.Random(11)
    holders = [booking.book(sid, f"H{i}", f"h{i}@example.org", 1).registration.id for i in range(30)]
    for i in range(20):
        booking.book(sid, f"W{i}", f"w{i}@example.org", rng.choice([1, 2, 3]))
    jobs = [("cancel", reg_id) for reg_id in rng.sample(holders, 15)]
    jobs += [("book", sid, f"N{i}", f"n{i}@example.org", rng.choice([1, 2, 3])) for i in range(60)]
    rng.shuffle(jobs)
    race(database_url, tmp_path, jobs)

    db.session.rollback()  # a fresh snapshot: see what the racers committed
    screening = db.session.get(Screening, sid)
    assert screening.seats_taken == confirmed_seats(sid) <= 30
    free = screening.capacity - screening.seats_taken
    fitting = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.screening_id == sid, Registration.status == "waitlisted", Registration.seats <= free
        )
    )
    assert fitting == 0, "a freed seat was left empty while a waiting registration fitted"
    promoted = db.session.execute(
        sa.select(Registration.id, Registration.seats)
        .join(OutboxMessage, OutboxMessage.registration_id == Registration.id)
        .where(OutboxMessage.kind == "promoted")
    ).all()
    assert promoted, "no cancellation freed a seat for the waiting list"
    still_waiting = db.session.execute(
        sa.select(Registration.id, Registration.seats).where(
            Registration.screening_id == sid, Registration.status == "waitlisted"
        )
    ).all()
    # First come, first served: when P was promoted its seats were free, so any older
    # waiting registration needing no more seats than P would have been chosen first.
    jumped = [(w, p) for p in promoted for w in still_waiting if w.id < p.id and w.seats <= p.seats]
    assert jumped == []


@pytest.mark.parametrize("seats", [1, 3])
def test_one_ticket_scanned_at_many_doors_admits_its_seats_exactly(ctx, database_url, tmp_path, make_screening, seats):
    from ticketing.models import CheckIn, Ticket

    sid = make_screening(capacity=10)
    reg_id = booking.book(sid, "Family", "family@example.org", seats).registration.id
    code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == reg_id))
    # 50 scans at once: half admit one person each, half admit everyone not yet in.
    jobs = [("checkin", code, sid, 1) for _ in range(25)] + [("checkin", code, sid) for _ in range(25)]
    results = race(database_url, tmp_path, jobs)

    outcomes = [outcome for _, outcome in results]
    admitted = sum(int(o.split(":")[1]) for o in outcomes if o.startswith("admitted"))
    assert admitted == seats
    assert all(o.startswith(("admitted:", "already_checked_in:")) for o in outcomes)
    db.session.rollback()  # a fresh snapshot: see what the racers committed
    assert db.session.scalar(sa.select(Ticket.admitted).where(Ticket.registration_id == reg_id)) == seats
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 50  # every scan logged
    assert db.session.scalar(sa.select(sa.func.sum(CheckIn.seats)).where(CheckIn.result == "admitted")) == seats


def test_racing_undos_take_back_an_admission_once(ctx, database_url, tmp_path, make_screening):
    from ticketing.models import CheckIn, Ticket
    from ticketing.services import checkin

    sid = make_screening()
    reg_id = booking.book(sid, "Ana", "ana@example.org", 2).registration.id
    code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == reg_id))
    admission = checkin.check_in(code, sid).checkin_id
    results = race(database_url, tmp_path, [("undo", admission)] * 24)

    assert sorted(outcome for _, outcome in results) == ["undo_refused"] * 23 + ["undone"]
    db.session.rollback()
    assert db.session.scalar(sa.select(Ticket.admitted).where(Ticket.registration_id == reg_id)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(CheckIn.result == "undone")) == 1


def test_check_in_racing_a_cancellation_never_admits_a_cancelled_ticket(ctx, database_url, tmp_path, make_screening):
    from ticketing.models import Ticket

    sid = make_screening(capacity=40)
    jobs = []
    for i in range(40):
        reg_id = booking.book(sid, f"P{i}", f"p{i}@example.org", 1).registration.id
        code = db.session.scalar(sa.select(Ticket.code).where(Ticket.registration_id == reg_id))
        jobs += [("cancel", reg_id), ("checkin", code, sid)]
    results = race(database_url, tmp_path, jobs)

    db.session.rollback()
    rows = db.session.execute(sa.select(Registration.status, Ticket.admitted).join(Ticket)).all()
    assert [r for r in rows if r.status == "cancelled" and r.admitted > 0] == []
    outcomes = {outcome for _, outcome in results}
    assert outcomes <= {"cancelled", "ticket_used", "admitted:1", "not_valid:0"}
