"""Back office: the dashboard of every event, of one event and of one screening.

Charts are drawn here as plain geometry (bars, ticks, labels) and rendered by the templates as
inline SVG, each followed by the same numbers in a table: no script, no inline style.
"""
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal, format_percent
from flask import current_app, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..extensions import db
from ..formatting import number
from ..models import Event, Screening
from ..services import attendees, checkin, questions, stats
from . import bp

_ID = "<int(max=2147483647):{}>"
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 16, 56
MAX_X_LABELS = 12


@dataclass
class BarChart:
    """A bar chart's geometry in SVG units, and its numbers as table rows."""

    id: str
    title: str
    x_label: str
    y_label: str
    columns: list  # table headers: the row header's, then the cells'
    rows: list = field(default_factory=list)  # (row header, cell, ...)
    bars: list = field(default_factory=list)  # dicts: x, y, width, height, label, value
    ticks: list = field(default_factory=list)  # (y, text)
    x_labels: list = field(default_factory=list)  # (x, text)
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM
    plot_top: int = TOP


def bar_chart(chart_id, title, x_label, y_label, points, columns, rows, top=None, percent=False):
    """Lay out `points` [(axis label, value)] as bars; `top` fixes the scale's maximum."""
    chart = BarChart(chart_id, title, x_label, y_label, columns, rows)
    top = top or _nice_ceiling(max((value for _label, value in points), default=0))
    plot_width, plot_height = chart.plot_right - chart.plot_left, chart.plot_bottom - chart.plot_top
    band = plot_width / max(len(points), 1)
    every = max(1, math.ceil(len(points) / MAX_X_LABELS))
    for index, (label, value) in enumerate(points):
        height = plot_height * value / top if top else 0
        x = chart.plot_left + index * band
        chart.bars.append(dict(x=round(x + band * 0.1, 1), y=round(chart.plot_bottom - height, 1),
                               width=round(max(band * 0.8, 1), 1), height=round(height, 1),
                               label=label, value=_percent(value / 100) if percent else value))
        if index % every == 0:
            chart.x_labels.append((round(x + band / 2, 1), label))
    for step in range(5):
        value = top * step / 4
        text = _percent(value / 100) if percent else format_decimal(round(value, 1), locale=get_locale())
        chart.ticks.append((round(chart.plot_bottom - plot_height * step / 4, 1), text))
    return chart


def _nice_ceiling(value):
    """The smallest of 1, 2, 5 times a power of ten (at least 4) that is >= value."""
    if value <= 4:
        return 4
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if value <= factor * power:
            return factor * power
    return 10 * power


def _percent(value):
    return "" if value is None else format_percent(value, locale=get_locale())


def signup_chart(series, tz, chart_id):
    """The sign-ups chart: one bar per local day or hour."""
    if series.unit == "hour":
        axis = [format_time(key, "HH:mm", locale=get_locale()) for key, _count, _seats in series.buckets]
        heads = [f'{format_date(key, "medium", locale=get_locale())}, {format_time(key, "short", locale=get_locale())}'
                 for key, _count, _seats in series.buckets]
        x_label = _("Hour (%(zone)s)", zone=tz.key)
    else:
        axis = [format_date(key, "d MMM", locale=get_locale()) for key, _count, _seats in series.buckets]
        heads = [format_date(key, "medium", locale=get_locale()) for key, _count, _seats in series.buckets]
        x_label = _("Day (%(zone)s)", zone=tz.key)
    points = [(label, count) for label, (_key, count, _seats) in zip(axis, series.buckets)]
    rows = [(head, count, seats) for head, (_key, count, seats) in zip(heads, series.buckets)]
    return bar_chart(chart_id, _("Sign-ups per hour") if series.unit == "hour" else _("Sign-ups per day"),
                     x_label, _("Sign-ups"), points, [x_label, _("Sign-ups"), _("Seats")], rows)


def arrivals_chart(result, chart_id, start=None, tz=None):
    """The door's chart: people admitted per 5 minutes around the start (local clock times
    for one screening, minutes from the start for several)."""
    def label(minutes):
        if start is not None:
            return format_time(start + timedelta(minutes=minutes), "HH:mm", tzinfo=tz, locale=get_locale())
        return _("%(n)+d min", n=minutes) if minutes else _("start")

    points = [(label(minutes), count) for minutes, count in result.buckets]
    rows = [(_("Before %(t)s", t=points[0][0]), result.earlier)] if points else []
    rows += [(text, count) for text, count in points]
    if points:
        rows.append((_("From %(t)s on", t=label(result.buckets[-1][0] + 5)), result.later))
    x_label = _("Time at the door (%(zone)s)", zone=tz.key) if start is not None else _("Minutes from the start")
    return bar_chart(chart_id, _("Arrivals at the door per 5 minutes"), x_label, _("People admitted"),
                     points, [x_label, _("People admitted")], rows)


def fill_chart(screenings, figures, chart_id, tz):
    """Fill rate per screening: confirmed seats over capacity, in percent."""
    points, rows = [], []
    for screening in screenings:
        s = figures[screening.id]
        when = format_datetime(screening.starts_at, "d MMM HH:mm", tzinfo=tz, locale=get_locale())
        points.append((when, 100 * (s.fill_rate or 0)))
        rows.append((f"{screening.title}, {when}", f"{number(s.confirmed)} / {number(s.capacity)}", _percent(s.fill_rate)))
    return bar_chart(chart_id, _("Fill rate per screening"), _("Screening"), _("Seats confirmed"),
                     points, [_("Screening"), _("Confirmed / capacity"), _("Fill rate")], rows,
                     top=100, percent=True)


@bp.get("/dashboard")
def dashboard():
    """Show every event: per screening its fill rate, waiting list, people in and no-shows."""
    events = db.session.scalars(sa.select(Event).order_by(Event.id)).all()
    screenings = db.session.scalars(sa.select(Screening).order_by(Screening.starts_at, Screening.id)).all()
    figures = stats.screening_stats(screenings)
    by_event = {event.id: [s for s in screenings if s.event_id == event.id] for event in events}
    charts = {event.id: fill_chart(by_event[event.id], figures, f"fill-{event.id}", event.tz)
              for event in events if by_event[event.id]}
    return render_template("admin/dashboard.html", events=events, by_event=by_event, figures=figures,
                           charts=charts, percent=_percent)


@bp.get(f"/events/{_ID.format('event_id')}/dashboard")
def event_dashboard(event_id):
    """Show one event: sign-ups over time, fill rates, the door's queue and no-shows."""
    event = db.get_or_404(Event, event_id)
    screenings = stats.event_screenings(event.id)
    figures = stats.screening_stats(screenings)
    ids = [s.id for s in screenings]
    charts = [
        signup_chart(stats.signups_over_time(ids, event.tz), event.tz, "signups"),
        fill_chart(screenings, figures, "fill", event.tz),
        arrivals_chart(stats.arrivals(screenings), "arrivals"),
    ]
    totals = _totals(figures.values())
    conflicts = Counter(checkin.conflict_counts(ids))
    return render_template("admin/dashboard_event.html", event=event, screenings=screenings,
                           figures=figures, charts=charts, totals=totals, percent=_percent, conflicts=conflicts,
                           answer_counts=questions.counts(ids))


@bp.get(f"/screenings/{_ID.format('screening_id')}/dashboard")
def screening_dashboard(screening_id):
    """Show one screening: sign-ups over time, fill rate, waiting list, arrivals, no-shows."""
    screening = db.get_or_404(Screening, screening_id)
    tz = screening.event.tz
    figures = stats.screening_stats([screening])[screening.id]
    charts = [
        signup_chart(stats.signups_over_time([screening.id], tz), tz, "signups"),
        arrivals_chart(stats.arrivals([screening]), "arrivals", screening.starts_at, tz),
    ]
    attendees_url = url_for("admin.attendees", screening_id=screening.id) if "admin.attendees" in current_app.view_functions else None
    return render_template("admin/dashboard_screening.html", screening=screening, event=screening.event,
                           s=figures, charts=charts, percent=_percent, attendees_url=attendees_url,
                           conflicts=checkin.conflicts([screening.id]), conflict_text=attendees.conflict_text,
                           answer_counts=questions.counts([screening.id]))


def _totals(figures):
    """Add up the screenings of an event; the no-show rate over those that have started."""
    figures = list(figures)
    started = [s for s in figures if s.has_started]
    confirmed_started = sum(s.confirmed for s in started)
    return dict(
        capacity=sum(s.capacity for s in figures),
        confirmed=sum(s.confirmed for s in figures),
        waiting=sum(s.waiting for s in figures),
        people_in=sum(s.people_in for s in figures),
        freed_by_reminder=sum(s.freed_by_reminder for s in figures),
        no_show_rate=(sum(s.no_shows for s in started) / confirmed_started) if confirmed_started else None,
    )
