"""A festival's programme as the public reads it (issue 19): its published screenings by day, in
the festival's time zone, narrowed by day, language and venue (filters that are plain query
arguments, so that they work without JavaScript and can be linked to)."""
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..extensions import db
from ..models import Screening
from . import booking


@dataclass
class Day:
    """One day of the programme: its date (local) and its screenings with their availability."""

    day: date
    screenings: list = field(default_factory=list)


@dataclass
class Programme:
    days: list  # of Day, in order
    choices: dict  # filter -> the values it may take, in order (from every published screening)
    chosen: dict  # filter -> the value chosen, or "" for all
    total: int  # published screenings before filtering


def programme(event, day="", language="", venue=""):
    """The programme of `event`: its published screenings grouped by local day, those matching
    the filters only. A filter value that matches nothing offered counts as no filter (an old
    or hand-made link still shows the programme)."""
    every = db.session.scalars(
        sa.select(Screening).where(Screening.event_id == event.id, Screening.is_published).order_by(Screening.starts_at)
    ).all()
    local_day = lambda s: s.starts_at.astimezone(event.tz).date()  # noqa: E731
    choices = {
        "day": list(dict.fromkeys(local_day(s).isoformat() for s in every)),
        "language": sorted({s.language for s in every if s.language}, key=str.casefold),
        "venue": sorted({s.place for s in every if s.place}, key=str.casefold),
    }
    chosen = {name: value if value in choices[name] else ""
              for name, value in (("day", day), ("language", language), ("venue", venue))}
    days = {}
    for screening in every:
        if chosen["day"] and local_day(screening).isoformat() != chosen["day"]:
            continue
        if chosen["language"] and screening.language != chosen["language"]:
            continue
        if chosen["venue"] and screening.place != chosen["venue"]:
            continue
        days.setdefault(local_day(screening), Day(local_day(screening))).screenings.append(
            (screening, booking.availability(screening)))
    return Programme(days=list(days.values()), choices=choices, chosen=chosen, total=len(every))
