"""Calendar files (RFC 5545 .ics) for a registration: one event in the festival's time zone.

The file carries the event's VTIMEZONE, so that a calendar shows the screening at the right local
time even when it does not know the zone or the reader is elsewhere. Texts follow the current
locale: a caller writing to the attendee wraps the call in flask_babel.force_locale.
"""
import hashlib
import re
import unicodedata
from datetime import date, timedelta, timezone
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from icalendar import Calendar, Event, Timezone

from ..models import utcnow
from . import texts, tickets

PRODID = "-//ticketing//Screening tickets 1.0//EN"
DEFAULT_RUNTIME = timedelta(hours=2)  # when a film's running time is not known
UID_DOMAIN = "ticketing"  # unless CALENDAR_UID_DOMAIN is configured

# The life of a registration only moves forward (waiting, then confirmed, then cancelled), so a
# SEQUENCE that follows it lets a calendar replace an older copy of the same event.
_SEQUENCE = {"waitlisted": 0, "confirmed": 1, "cancelled": 2}
_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Etc/GMT", "GMT"}
# RFC 5545 TEXT allows no control characters but tab and (escaped) newline; the forms refuse
# them, but a title may also come from an import or the command line.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plain(text):
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def event_uid(registration):
    """Return the registration's calendar UID: stable, and not revealing the secret link."""
    # A one-way hash of a 192-bit secret: the same registration always gives the same UID (a
    # second download replaces the first in a calendar), and the UID cannot be turned back into
    # the link. It does not depend on SECRET_KEY, so rotating the key keeps UIDs stable.
    digest = hashlib.sha256(b"ticketing-calendar-uid\0" + registration.secret.encode()).hexdigest()
    domain = current_app.config.get("CALENDAR_UID_DOMAIN") or UID_DOMAIN
    return f"{digest[:32]}@{domain}"


def calendar_status(registration):
    """Return the event's STATUS: CONFIRMED, TENTATIVE (waiting list, or an e-mail address not
    confirmed yet) or CANCELLED."""
    if registration.status == "cancelled" or registration.screening.is_cancelled:
        return "CANCELLED"
    if registration.status == "waitlisted" or registration.is_held:
        return "TENTATIVE"
    return "CONFIRMED"


def filename(registration):
    """Return an ASCII file name for the download, such as myn-bala-2030-07-10.ics."""
    screening = registration.screening
    ascii_title = unicodedata.normalize("NFKD", screening.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40].strip("-")
    day = screening.starts_at.astimezone(screening.event.tz).date().isoformat()
    return f"{slug or 'screening'}-{day}.ics"


def render_ics(registration, manage_url=None):
    """Return the .ics file (bytes, UTF-8, CRLF, folded) of one registration's screening."""
    screening = registration.screening
    event = screening.event
    zone = event.tz
    starts = screening.starts_at.astimezone(zone)
    runtime = timedelta(minutes=screening.runtime_minutes) if screening.runtime_minutes else None
    ends = starts + (runtime or DEFAULT_RUNTIME)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")

    vevent = Event()
    vevent.add("uid", event_uid(registration))
    vevent.add("dtstamp", utcnow())
    status = calendar_status(registration)
    vevent.add("sequence", _sequence(registration, status))
    vevent.add("status", status)
    # A place on the waiting list or a cancelled ticket should not block the reader's time.
    vevent.add("transp", "OPAQUE" if status == "CONFIRMED" else "TRANSPARENT")
    if event.timezone in _UTC_NAMES:
        # UTC needs no VTIMEZONE: RFC 5545 writes it as a time ending in Z.
        vevent.add("dtstart", starts.astimezone(timezone.utc))
        vevent.add("dtend", ends.astimezone(timezone.utc))
    else:
        vevent.add("dtstart", starts)
        vevent.add("dtend", ends)
        calendar.add_component(_vtimezone(event.timezone, starts.year, ends.year))
    vevent.add("summary", _plain(screening.title))  # as written: ğ, ş, ı and Cyrillic kept
    location = _location(screening)
    if location:
        vevent.add("location", _plain(location))
    vevent.add("description", _plain(_description(registration, status, runtime is None, manage_url)))
    if manage_url:
        vevent.add("url", manage_url)
    if event.contact_email:
        vevent.add("organizer", f"mailto:{event.contact_email}", parameters={"CN": _plain(event.name)})
    calendar.add_component(vevent)
    return calendar.to_ical()


def _sequence(registration, status):
    if status == "CANCELLED":
        return _SEQUENCE["cancelled"]
    return _SEQUENCE.get(registration.status, 0)


def _location(screening):
    parts = [screening.display_venue, screening.event.address]
    return ", ".join(part for part in parts if part)


def _description(registration, status, runtime_unknown, manage_url):
    screening = registration.screening
    lines = []
    if screening.is_cancelled:
        lines.append(_("This screening is cancelled."))
    elif status == "CANCELLED":
        lines.append(_("This registration is cancelled and its ticket is no longer valid."))
    elif status == "TENTATIVE" and registration.is_held:
        lines.append(_("Not confirmed yet: follow the link to keep it"))
    elif status == "TENTATIVE":
        lines.append(_("You are on the waiting list: this is not a ticket yet. "
                       "If a seat frees up, we e-mail you your ticket."))
    lines.append(ngettext("Seats: %(num)d", "Seats: %(num)d", registration.seats))
    ticket = registration.ticket
    if status == "CONFIRMED" and ticket is not None:
        lines.append(_("Ticket code: %(code)s", code=tickets.short_code(ticket.code)))
        lines.append(_("Show your ticket at the door, on your phone or printed."))
    if screening.note:
        lines.append(texts.text(screening, "note"))
    if runtime_unknown:
        lines.append(_("The end time is an estimate: the running time is not known."))
    if manage_url:
        lines.append(_("Your ticket, and a way to cancel: %(url)s", url=manage_url))
    return "\n".join(lines)


def _vtimezone(tzid, first_year, last_year):
    """Return a copy of the VTIMEZONE of `tzid` covering the years of the screening."""
    return Timezone.from_ical(_vtimezone_ical(tzid, first_year, last_year))


@lru_cache(maxsize=64)
def _vtimezone_ical(tzid, first_year, last_year):
    # Built from the tz database (tzdata) once per zone and year, then kept: building takes
    # milliseconds, and a bulk mailing renders the same zone thousands of times. The span runs
    # from the start of the screening's year to the end of the next, so that it covers the
    # screening and its end, and every change of offset around them.
    return Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 2, 1, 1)
    ).to_ical()
