"""Seats: the rules that take, free and hand on a screening's seats (R1, R7), in one place.

Every path that takes seats goes through a guarded UPDATE here that can only succeed while the
seats are free, with the CHECK constraint seats_taken <= capacity behind it. The public and
walk-ins never take the seats held back for guests (`Screening.seats_held`); a guest takes those
first. Every function runs inside the caller's write transaction (database.write_transaction).
"""
import sqlalchemy as sa

from ..errors import NotFoundError
from ..models import Registration, RegistrationStatus, Screening
from .notifications import notify

CONFIRMED = RegistrationStatus.CONFIRMED.value
WAITLISTED = RegistrationStatus.WAITLISTED.value
_S = Screening.__table__.c

# The public never takes the seats held back for guests (take_guest_seats takes those).
_TAKE_SEATS = (
    sa.update(Screening.__table__)
    .where(_S.id == sa.bindparam("screening_id"),
           _S.seats_taken + _S.seats_held + sa.bindparam("seats") <= _S.capacity)
    .values(seats_taken=_S.seats_taken + sa.bindparam("seats"))
)
# A guest takes held seats first: the guard is the hall's capacity, and the held pool shrinks.
_TAKE_GUEST_SEATS = (
    sa.update(Screening.__table__)
    .where(_S.id == sa.bindparam("screening_id"), _S.seats_taken + sa.bindparam("seats") <= _S.capacity)
    .values(
        seats_taken=_S.seats_taken + sa.bindparam("seats"),
        seats_held=sa.case((_S.seats_held > sa.bindparam("seats"), _S.seats_held - sa.bindparam("seats")), else_=0),
    )
)
LOCK_SCREENING = sa.select(_S.id).where(_S.id == sa.bindparam("screening_id")).with_for_update(key_share=True)


def lock_screening(session, screening_id):
    """Lock a screening's row for the rest of the transaction and return it fresh.

    Raises NotFoundError.
    """
    # FOR NO KEY UPDATE on PostgreSQL: it serialises the screening's writers like FOR UPDATE, but
    # lets an insert that references the screening (a door scan's log row, whose foreign key check
    # takes FOR KEY SHARE) through; FOR UPDATE deadlocked a release or cancellation waiting for a
    # registration against the scan holding that registration and waiting for the screening.
    screening = session.execute(
        sa.select(Screening)
        .where(Screening.id == screening_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if screening is None:
        raise NotFoundError()
    return screening


def take_seats(connection, screening_id, seats):
    """Take `seats` if they are free, in one guarded statement; return True if taken (R1)."""
    result = connection.execute(_TAKE_SEATS, {"screening_id": screening_id, "seats": seats})
    return result.rowcount == 1


def take_guest_seats(connection, screening_id, seats):
    """Take `seats` for guests, held ones first, in one guarded statement; return True if taken."""
    result = connection.execute(_TAKE_GUEST_SEATS, {"screening_id": screening_id, "seats": seats})
    return result.rowcount == 1


def release_seats(session, screening, seats):
    """Give back `seats` confirmed seats of a locked screening (then call promote_waitlist)."""
    session.execute(
        sa.update(Screening)
        .where(Screening.id == screening.id)
        .values(seats_taken=Screening.seats_taken - seats)
        .execution_options(synchronize_session=False)
    )
    session.expire(screening, ["seats_taken"])


def promote_waitlist(session, screening):
    """Give free seats to waiting registrations, first come first served, each that fits (R7).

    Runs inside the caller's write transaction, with the screening locked. A cancelled screening
    promotes no one: its waiting people were told it is cancelled.
    """
    promoted = []
    if screening.is_cancelled:
        return promoted
    while True:
        session.flush()
        free = session.scalar(
            sa.select(Screening.capacity - Screening.seats_taken - Screening.seats_held)
            .where(Screening.id == screening.id)
        )
        if free <= 0:
            break
        candidate = session.execute(
            sa.select(Registration)
            .where(
                Registration.screening_id == screening.id,
                Registration.status == WAITLISTED,
                Registration.seats <= free,
            )
            .order_by(Registration.id)
            .limit(1)
        ).scalar_one_or_none()
        if candidate is None or not take_seats(session.connection(), screening.id, candidate.seats):
            break
        session.expire(screening, ["seats_taken"])
        candidate.status = CONFIRMED
        if candidate.hold_until is None:  # a held one gets its ticket when it confirms (holds.py)
            notify(session, candidate, "promoted")
        promoted.append(candidate)
    return promoted
