"""The dashboard's numbers, aggregated in the database: fill, waiting list, arrivals, no-shows.

Nothing here loads registrations into Python: each figure is one GROUP BY query. Times are
grouped in the database into UTC slots of whole seconds since the epoch (15 minutes for sign-ups,
5 for arrivals; SQLite through strftime('%s'), PostgreSQL through extract(epoch)), then the few
slots are rolled up in Python into days or hours of the event's time zone. Every time-zone offset
in use is a multiple of 15 minutes, so a slot never straddles a local day or hour, across
daylight-saving changes too.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from ..extensions import db
from ..models import CheckIn, Registration, Screening, Ticket, utcnow

SIGNUP_SLOT = 900  # seconds
ARRIVAL_SLOT = 300  # seconds: the door's bars are 5 minutes wide
HOURLY_SPAN = timedelta(hours=48)  # sign-ups spread over less than this are counted per hour
ARRIVALS_BEFORE = timedelta(minutes=60)  # the door's chart, around the start
ARRIVALS_AFTER = timedelta(minutes=30)


@dataclass
class ScreeningStats:
    """The state of one screening's seats, door and audience."""

    id: int
    title: str
    starts_at: datetime
    capacity: int
    is_cancelled: bool = False
    confirmed: int = 0  # seats
    waiting: int = 0  # registrations on the waiting list
    waiting_seats: int = 0
    people_in: int = 0
    confirmed_in: int = 0  # people admitted on confirmed registrations
    freed_by_reminder: int = 0  # seats given back from the reminders' link (services/reminders.py)
    now: datetime = field(default_factory=utcnow)

    @property
    def fill_rate(self):
        """Confirmed seats over capacity (None for a hall without seats)."""
        return self.confirmed / self.capacity if self.capacity else None

    @property
    def has_started(self):
        return self.starts_at <= self.now

    @property
    def no_shows(self):
        """Confirmed seats whose people did not come in (None before the start)."""
        return self.confirmed - self.confirmed_in if self.has_started else None

    @property
    def no_show_rate(self):
        """No-shows over confirmed seats, once the film has started (None before, or if none)."""
        if not self.has_started or not self.confirmed:
            return None
        return (self.confirmed - self.confirmed_in) / self.confirmed


def screening_stats(screenings, now=None):
    """Return {screening id: ScreeningStats} for `screenings`, in two small aggregate queries.

    Confirmed seats are the screening's own counter (`seats_taken`, which the booking guard
    keeps equal to them, R1); the waiting list is read through its index; the door's figures
    come from the door log (R5: every admission is a row, an undo takes one back), so that
    nothing scans every registration.
    """
    now = now or utcnow()
    stats = {
        s.id: ScreeningStats(s.id, s.title, s.starts_at, s.capacity, s.is_cancelled,
                             confirmed=s.seats_taken, freed_by_reminder=s.seats_freed_by_reminder, now=now)
        for s in screenings
    }
    if not stats:
        return stats
    ids = list(stats)
    r, c, t = Registration.__table__.c, CheckIn.__table__.c, Ticket.__table__.c
    waiting = db.session.execute(
        sa.select(r.screening_id, sa.func.count(), sa.func.sum(r.seats))
        .where(r.screening_id.in_(ids), r.status == "waitlisted")
        .group_by(r.screening_id)
    )
    for screening_id, count, seats in waiting:
        stats[screening_id].waiting, stats[screening_id].waiting_seats = int(count), int(seats)
    door = db.session.execute(
        sa.select(c.screening_id, sa.func.sum(c.seats), _sum_if(r.status == "confirmed", c.seats))
        .select_from(CheckIn.__table__.outerjoin(Ticket.__table__, c.ticket_id == t.id)
                     .outerjoin(Registration.__table__, t.registration_id == r.id))
        .where(*_admissions_kept(ids))
        .group_by(c.screening_id)
    )
    for screening_id, people, confirmed_people in door:
        stats[screening_id].people_in, stats[screening_id].confirmed_in = int(people), int(confirmed_people)
    return stats


def _admissions_kept(screening_ids):
    """Conditions for the admissions at these screenings' doors that no undo took back."""
    c = CheckIn.__table__.c
    undone = sa.select(c.undoes_id).where(c.undoes_id.is_not(None), c.screening_id.in_(screening_ids))
    return (c.screening_id.in_(screening_ids), c.result == "admitted", c.id.not_in(undone))


def _sum_if(condition, value):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def _slot(column, seconds):
    """SQL for the UTC slot of `seconds` that a time falls in (whole slots since the epoch)."""
    if db.session.get_bind().dialect.name == "sqlite":
        # Times are stored as UTC text; strftime('%s') reads them as UTC seconds since 1970.
        return sa.cast(sa.func.strftime("%s", column), sa.Integer).op("/")(seconds)
    return sa.cast(sa.func.floor(sa.extract("epoch", column).op("/")(seconds)), sa.BigInteger)


def _slot_start(slot, seconds):
    return datetime.fromtimestamp(int(slot) * seconds, timezone.utc)


@dataclass
class Series:
    """Counts per time bucket: `buckets` is a list of (local start, count, seats)."""

    unit: str  # "day", "hour" or "5min"
    buckets: list


def signups_over_time(screening_ids, tz):
    """Return the sign-ups (registrations and their seats, any status) per local day, or per
    local hour when they span less than two days, with empty buckets filled in."""
    if not screening_ids:
        return Series("day", [])
    r = Registration.__table__.c
    slot = _slot(r.created_at, SIGNUP_SLOT).label("slot")
    rows = db.session.execute(
        sa.select(slot, sa.func.count(), sa.func.sum(r.seats))
        .where(r.screening_id.in_(list(screening_ids)))
        .group_by(slot)
        .order_by(slot)
    ).all()
    if not rows:
        return Series("day", [])
    starts = [_slot_start(row[0], SIGNUP_SLOT).astimezone(tz) for row in rows]
    hourly = starts[-1] - starts[0] < HOURLY_SPAN
    unit = "hour" if hourly else "day"
    totals = {}
    for start, row in zip(starts, rows):
        key = _floor_local(start, unit)
        count, seats = totals.get(key, (0, 0))
        totals[key] = (count + int(row[1]), seats + int(row[2]))
    buckets = []
    key, last = min(totals), max(totals)
    while key <= last:
        buckets.append((key, *totals.get(key, (0, 0))))
        key = _next_local(key, unit)
    return Series(unit, buckets)


def _floor_local(moment, unit):
    """The naive local start of the day or hour of an aware local time."""
    naive = moment.replace(tzinfo=None)
    if unit == "day":
        return naive.replace(hour=0, minute=0, second=0, microsecond=0)
    return naive.replace(minute=0, second=0, microsecond=0)


def _next_local(key, unit):
    """The next local day or hour after `key`, in wall-clock steps: an hour that daylight saving
    skips shows as an empty bar, and an hour that it repeats shows as one bar."""
    return key + (timedelta(days=1) if unit == "day" else timedelta(hours=1))


def _arrival_query(screening_ids):
    """Admissions at the door per screening and 5-minute slot; undone admissions left out, so
    that each person counts once, in the slot when they actually came in."""
    c = CheckIn.__table__.c
    slot = _slot(c.scanned_at, ARRIVAL_SLOT).label("slot")
    return (
        sa.select(c.screening_id, slot, sa.func.sum(c.seats))
        .where(*_admissions_kept(screening_ids))
        .group_by(c.screening_id, slot)
    )


@dataclass
class Arrivals:
    """People admitted per 5 minutes, from ARRIVALS_BEFORE to ARRIVALS_AFTER the start.

    `buckets` holds (minutes from the start, count); `earlier` and `later` count the people
    who came in outside that window.
    """

    buckets: list
    earlier: int = 0
    later: int = 0

    @property
    def total(self):
        return self.earlier + self.later + sum(count for _, count in self.buckets)


def arrivals(screenings):
    """Return the arrivals at the door relative to the start, added up over `screenings`."""
    starts = {s.id: s.starts_at for s in screenings}
    first = -int(ARRIVALS_BEFORE.total_seconds()) // ARRIVAL_SLOT
    last = int(ARRIVALS_AFTER.total_seconds()) // ARRIVAL_SLOT
    counts = dict.fromkeys(range(first, last), 0)
    result = Arrivals([])
    if starts:
        for screening_id, slot, people in db.session.execute(_arrival_query(list(starts))):
            moment = _slot_start(slot, ARRIVAL_SLOT)
            offset = (moment - starts[screening_id]).total_seconds() // ARRIVAL_SLOT
            if offset < first:
                result.earlier += int(people)
            elif offset >= last:
                result.later += int(people)
            else:
                counts[int(offset)] += int(people)
    result.buckets = [(index * ARRIVAL_SLOT // 60, counts[index]) for index in sorted(counts)]
    return result


def event_screenings(event_id):
    """Return the screenings of an event, in starting order."""
    return db.session.scalars(
        sa.select(Screening).where(Screening.event_id == event_id).order_by(Screening.starts_at, Screening.id)
    ).all()
