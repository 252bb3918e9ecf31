"""The demo festival: the Days of Kazakh Cinema in Brussels.

The films, their titles and credits are real; the dates, venue and capacities are invented (the
report the project was born from gives none), and the pages say so. Dates are set a few weeks
ahead of the day the demo is loaded, so that sign-up is open.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from .database import write_transaction
from .demo_posters import FESTIVAL_COLOUR, cover_png, logo_png, poster_png
from .models import Event, Screening
from .services import pictures
from .services.schedule import local_to_utc

TZ = "Europe/Brussels"
DEMO_ADMIN = "admin@example.org"
VENUE = "Salle Steppe, Brussels (invented for the demo)"


def festival_monday(today):
    """Return the Monday at least three weeks after `today`: the demo week's first day."""
    start = today + timedelta(days=21)
    return start + timedelta(days=(7 - start.weekday()) % 7)


def load_demo(today=None):
    """Create the demo festival and its screenings; return the event."""
    tz = ZoneInfo(TZ)
    monday = festival_monday(today or date.today())

    def at(day_offset, hour, minute=0):
        return local_to_utc(datetime.combine(monday + timedelta(days=day_offset), time(hour, minute)), tz)

    baqyt = dict(
        title="Baqyt Qushağynda",
        original_title="Бақыт құшағында",
        director="Sanat Shapashov",
        language="Kazakh",
        subtitles="English, French",
        description=(
            "In the Embrace of Happiness: a film inspired by the works of the composer Shamshi "
            "Kaldayakov, in his 95th anniversary year."
        ),
    )
    with write_transaction() as session:
        event = Event(
            slug="days-of-kazakh-cinema",
            name="Days of Kazakh Cinema",
            description=(
                "Part of the Week of Kazakh Culture in Belgium, organised by the Embassy of the "
                "Republic of Kazakhstan in Belgium with the Kazakhfilm studio and the French "
                "Association of Kazakh Cinema. Dates, venue and capacities on this demo are "
                "invented."
            ),
            timezone=TZ,
            venue=VENUE,
            address="Brussels",
            contact_email="kazakh-cinema@example.org",
            accent=FESTIVAL_COLOUR,
        )
        session.add(event)
        session.add_all(
            [
                Screening(
                    event=event,
                    hall="Hall 1",
                    starts_at=at(3, 19, 30),
                    capacity=120,
                    max_seats=4,
                    note="Q&A with the lead actress Alia Anuarbek after the film.",
                    **baqyt,
                ),
                Screening(
                    event=event,
                    title="Myn Bala: Warriors of the Steppe",
                    original_title="Мың бала",
                    director="Akan Satayev",
                    year=2012,
                    language="Kazakh",
                    subtitles="English, French",
                    description=(
                        "An epic of the eighteenth-century Kazakh resistance against the "
                        "Dzungar invasion."
                    ),
                    hall="Hall 1",
                    starts_at=at(5, 18, 0),
                    capacity=120,
                    max_seats=4,
                ),
                Screening(
                    event=event,
                    hall="Hall 2",
                    starts_at=at(6, 15, 0),
                    capacity=60,
                    max_seats=2,
                    note="Matinee for students and families.",
                    **baqyt,
                ),
            ]
        )
    _draw_posters(event)
    return event


def _draw_posters(event):
    """Give each demo film a poster, and the festival its logo and cover, drawn here
    (demo_posters.py), as an organizer would upload them."""
    films = list(dict.fromkeys(screening.title for screening in event.screenings))
    for screening in event.screenings:
        credits = " · ".join(str(part) for part in (screening.director, screening.year) if part)
        png = poster_png(current_app.config["TICKET_FONT_DIR"], screening.title, screening.original_title,
                         credits, films.index(screening.title))
        pictures.save_poster(screening.id, png)
    logo = logo_png(current_app.config["TICKET_FONT_DIR"], "Kazakh Cinema", "Days in Brussels")
    pictures.save_event_picture(event.id, pictures.LOGO, logo)
    pictures.save_event_picture(event.id, pictures.COVER, cover_png())
