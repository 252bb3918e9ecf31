"""Local times of an event turned into UTC (R8), and finding an event by its slug.

Creating and changing events and screenings is services.events.
"""
from datetime import datetime, timezone

import sqlalchemy as sa

from ..errors import NotFoundError
from ..extensions import db
from ..models import Event


def local_to_utc(local, tz):
    """Return the aware UTC time of the naive wall-clock time `local` in zone `tz`.

    Raises ValueError for a time that does not exist there (skipped by a daylight-saving
    change); an ambiguous time (repeated in autumn) is taken as its first occurrence.
    """
    aware = local.replace(tzinfo=tz, fold=0)
    utc = aware.astimezone(timezone.utc)
    if utc.astimezone(tz).replace(tzinfo=None) != local:
        raise ValueError(f"{local:%Y-%m-%d %H:%M} does not exist in {tz} (clocks jump forward)")
    return utc


def parse_local(text, tz):
    """Parse "YYYY-MM-DD HH:MM" as wall-clock time in `tz`; return aware UTC or raise ValueError."""
    try:
        local = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a time like 2027-03-18 19:30") from None
    return local_to_utc(local, tz)


def find_event(slug=None):
    """Return the event with `slug`, or the only event when no slug is given."""
    if slug:
        event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
        if event is None:
            raise NotFoundError(f"No event has the slug {slug!r}.")
        return event
    events = db.session.scalars(sa.select(Event).limit(2)).all()
    if len(events) != 1:
        raise NotFoundError(
            "There is no event yet." if not events else "There are several events: name one."
        )
    return events[0]
