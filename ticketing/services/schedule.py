"""Festivals and screenings: creating them, and turning local times into UTC (R8)."""
from datetime import datetime, timezone

import sqlalchemy as sa

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError
from ..extensions import db
from ..models import Event, Screening
from .inputs import has_hidden_characters


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


def create_screening(event, title, starts_at, capacity, max_seats=1, **details):
    """Add a screening to `event` and return it. Raises InvalidInputError."""
    errors = {}
    if not title or not title.strip():
        errors["title"] = "A screening needs a title."
    elif len(title.strip()) > 200 or has_hidden_characters(title):
        errors["title"] = "A title has at most 200 characters and no control characters."
    if capacity < 0:
        errors["capacity"] = "Capacity cannot be negative."
    if max_seats < 1:
        errors["max_seats"] = "At least one seat per registration."
    if errors:
        raise InvalidInputError(errors)
    with write_transaction() as session:
        screening = Screening(
            event_id=event.id,
            title=title.strip(),
            starts_at=starts_at,
            capacity=capacity,
            max_seats=max_seats,
            **details,
        )
        session.add(screening)
        session.flush()
        return screening
