"""Times shown in the event's time zone and the reader's locale (R8)."""
from datetime import date

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import get_locale, get_translations
from flask_wtf.csrf import generate_csrf


def local_date(value, tz):
    """Format the day of an aware time, in the zone `tz`, for the reader's locale."""
    return format_date(value.astimezone(tz).date(), "full", locale=get_locale())


def local_time(value, tz):
    """Format the clock time of an aware time, in the zone `tz`, for the reader's locale."""
    return format_time(value, "short", tzinfo=tz, locale=get_locale())


def day_name(value):
    """Format a calendar day (a date, or its ISO text) for the reader's locale: a programme's heading."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, "full", locale=get_locale())


def local_datetime(value, tz):
    """Format an aware time as day and clock time in the zone `tz`, for the reader's locale."""
    if value is None:
        return ""
    return f"{local_date(value, tz)}, {local_time(value, tz)}"


# Each language named in itself, for the switcher.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "nl": "Nederlands", "kk": "Қазақша", "ru": "Русский"}


def languages():
    """(code, name in that language) of every language the app speaks, in the configured order."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


def number(value):
    """Format a count for the reader's locale (1 234 in French, 1.234 in Dutch)."""
    return format_decimal(value, locale=get_locale())


# Numbers that bring out every plural category of the five languages (one, few, many, other).
_PLURAL_SAMPLES = (1, 2, 3, 5, 11, 21, 22, 25, 100, 101, 1000000)


def js_ngettext(singular, plural):
    """A counted text for a script: {CLDR plural category: translation with "{n}" for the
    number}. The script picks with Intl.PluralRules (same CLDR rules as the catalogs' plurals).
    Texts use %(num)d, as with ngettext; `make translations` extracts them (keyword js_ngettext)."""
    translations = get_translations()
    rule = get_locale().plural_form
    forms = {}
    for n in _PLURAL_SAMPLES:
        forms.setdefault(rule(n), translations.ungettext(singular, plural, n).replace("%(num)d", "{n}"))
    forms.setdefault("other", translations.ungettext(singular, plural, 5).replace("%(num)d", "{n}"))
    return forms


def vary_on_language(response):
    """Pages and JSON depend on the reader's language: tell caches what it was chosen from."""
    if response.mimetype in ("text/html", "application/json"):
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def register(app):
    """Install the formatting filters."""
    app.after_request(vary_on_language)
    app.add_template_filter(number)
    app.add_template_global(js_ngettext)
    app.add_template_global(languages)
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_time)
    app.add_template_filter(day_name)
    app.add_template_global(day_name)
    app.add_template_global(get_locale)
    app.add_template_global(generate_csrf, "csrf_token")  # for pages whose script calls the API
