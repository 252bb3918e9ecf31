"""Held seats, release, walk-ins and moves under concurrency: 4 processes of threads, both databases."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from factories import code_of
from racers import race
from ticketing.extensions import db
from ticketing.models import AuditEntry, OutboxMessage, Registration, Screening, Ticket, utcnow
from ticketing.services import booking

pytestmark = pytest.mark.slow


def seats_by(sid, source, status="confirmed"):
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Registration.seats), 0)).where(
            Registration.screening_id == sid, Registration.source == source, Registration.status == status
        )
    )


def test_walkins_and_signups_racing_for_the_last_seats_leave_held_seats_alone(ctx, database_url, tmp_path, make_screening):
    sid = make_screening(capacity=30, seats_held=10, max_seats=2)
    jobs = [("walkin", sid, f"Walk-in {i}", 1 + i % 2) for i in range(30)]
    jobs += [("book", sid, f"P{i}", f"p{i}@example.org", 1 + i % 2) for i in range(30)]
    results = race(database_url, tmp_path, jobs)

    db.session.rollback()
    screening = db.session.get(Screening, sid)
    assert screening.seats_held == 10  # nobody but a guest takes a held seat
    assert screening.seats_taken == seats_by(sid, "public") + seats_by(sid, "walkin") <= 20
    assert screening.seats_taken >= 19  # filled up to the held seats (a last single seat may stay)
    walked_in = sum(int(o.split(":")[1]) for _, o in results if o.startswith("walkin:"))
    # Walk-ins may get no seat at all when the sign-ups happen to come first: 0, not None.
    assert walked_in == seats_by(sid, "walkin") == db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Ticket.admitted), 0)).join(Registration).where(Registration.source == "walkin"))
    assert {o for _, o in results} <= {"walkin:1", "walkin:2", "no_seats", "confirmed", "waitlisted"}


def test_release_called_from_many_processes_runs_once(ctx, database_url, tmp_path, make_screening):
    sid = make_screening(capacity=20, seats_held=5, starts_at=utcnow() + timedelta(minutes=10), release_minutes=30)
    regs = [booking.book(sid, f"P{i}", f"p{i}@example.org", 1).registration.id for i in range(15)]
    for i in range(4):
        booking.book(sid, f"W{i}", f"w{i}@example.org", 2)  # waiting
    results = race(database_url, tmp_path, [("release", sid)] * 32)

    outcomes = sorted(o for _, o in results)
    assert outcomes == ["released:0"] * 31 + ["released:20"]  # 15 unclaimed + 5 held, by one call
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "screening.release")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.kind == "released")) == len(regs)
    assert db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.kind == "promoted")) == 4
    screening = db.session.get(Screening, sid)
    assert (screening.seats_taken, screening.seats_held) == (8, 0)


def test_release_racing_door_scans_never_admits_a_released_ticket(ctx, database_url, tmp_path, make_screening):
    # 8 screenings of 6 tickets, 5 of them scanned (the sixth is always released). The workers
    # take their jobs from the end of the list: half the releases start with the first scans.
    sids = [make_screening(capacity=6, starts_at=utcnow() + timedelta(minutes=10), release_minutes=30)
            for _ in range(8)]
    codes = {sid: [code_of(booking.book(sid, f"P{i}", f"p{sid}.{i}@example.org", 1).registration.id)
                   for i in range(6)] for sid in sids}
    scans = [("checkin", code, sid) for sid in sids for code in codes[sid][:5]]
    jobs = [("release", sid) for sid in sids[:4]] + scans + [("release", sid) for sid in sids[4:]]
    results = race(database_url, tmp_path, jobs)

    db.session.rollback()
    rows = db.session.execute(
        sa.select(Registration.screening_id, Registration.status, Registration.cancel_reason, Ticket.admitted).join(Ticket)
    ).all()
    # Every ticket is either admitted and confirmed, or released and not admitted: never both.
    assert {r[1:] for r in rows} == {("cancelled", "released", 0), ("confirmed", "", 1)}
    for sid in sids:
        kept = sum(1 for r in rows if r.screening_id == sid and r.status == "confirmed")
        assert db.session.get(Screening, sid).seats_taken == kept
    outcomes = [o for _, o in results]
    released = sum(1 for r in rows if r.status == "cancelled")
    assert outcomes.count("admitted:1") == 48 - released
    assert outcomes.count("not_valid:0") == released - 8  # the scanned tickets that were released
    assert sum(int(o.split(":")[1]) for o in outcomes if o.startswith("released:")) == released
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "screening.release")) == 8


def test_two_moves_racing_for_the_last_seat_one_wins(ctx, database_url, tmp_path, make_screening):
    source = make_screening(capacity=10)
    target = make_screening(capacity=5, title="Target")
    for i in range(4):
        booking.book(target, f"T{i}", f"t{i}@example.org", 1)
    movers = [booking.book(source, f"M{i}", f"m{i}@example.org", 1).registration.id for i in range(2)]
    # Each registration is moved by several racers; only one seat is free at the target.
    results = race(database_url, tmp_path, [("move", reg_id, target) for reg_id in movers] * 6)

    outcomes = sorted(o for _, o in results)
    assert outcomes.count(f"moved:{target}") == 1
    assert set(outcomes) <= {f"moved:{target}", "no_seats", "not_movable"}
    db.session.rollback()
    assert db.session.get(Screening, target).seats_taken == 5
    assert db.session.get(Screening, source).seats_taken == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(Registration.screening_id == target)) == 5
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "registration.move")) == 1


def test_moves_racing_both_ways_and_repeated_keep_the_counts_exact(ctx, database_url, tmp_path, make_screening):
    a, b = make_screening(capacity=20, title="A"), make_screening(capacity=20, title="B")
    from_a = [booking.book(a, f"A{i}", f"a{i}@example.org", 1).registration.id for i in range(6)]
    from_b = [booking.book(b, f"B{i}", f"b{i}@example.org", 2).registration.id for i in range(6)]
    # Opposite moves lock the two screenings in one order (no deadlock); each registration is
    # moved by 3 racers at once, and only one of them may move it.
    jobs = [("move", reg_id, b) for reg_id in from_a] * 3 + [("move", reg_id, a) for reg_id in from_b] * 3
    results = race(database_url, tmp_path, jobs)

    outcomes = [o for _, o in results]
    assert (outcomes.count(f"moved:{a}"), outcomes.count(f"moved:{b}"), outcomes.count("not_movable")) == (6, 6, 24)
    db.session.rollback()
    assert db.session.get(Screening, a).seats_taken == 12 == seats_by(a, "public")
    assert db.session.get(Screening, b).seats_taken == 6 == seats_by(b, "public")
