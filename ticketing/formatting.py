"""Times shown in the event's time zone and the reader's locale (R8)."""
from babel.dates import format_date, format_time
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf


def local_date(value, tz):
    """Format the day of an aware time, in the zone `tz`, for the reader's locale."""
    return format_date(value.astimezone(tz).date(), "full", locale=get_locale())


def local_time(value, tz):
    """Format the clock time of an aware time, in the zone `tz`, for the reader's locale."""
    return format_time(value, "short", tzinfo=tz, locale=get_locale())


def local_datetime(value, tz):
    """Format an aware time as day and clock time in the zone `tz`, for the reader's locale."""
    if value is None:
        return ""
    return f"{local_date(value, tz)}, {local_time(value, tz)}"


def register(app):
    """Install the formatting filters."""
    app.add_template_filter(local_datetime)
    app.add_template_global(get_locale)
    app.add_template_global(generate_csrf, "csrf_token")  # for pages whose script calls the API
