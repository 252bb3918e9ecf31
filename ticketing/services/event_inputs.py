"""What an organizer may type for an event or a screening: one cleaner per kind of field (R9).

Each cleaner takes the raw value (text from a form, or a typed value from code), returns the
value to store, or records a message for the field in `errors` and returns None. `what` names the
field in the message ("The title"), in the reader's language: pass a lazy text (lazy_gettext).
"""
import math
import re
import unicodedata
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import available_timezones

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import colours
from .inputs import clean_email, has_hidden_characters
from .schedule import local_to_utc

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DIGITS = re.compile(r"[0-9]{1,9}")
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")
TEXT_MAX = 5000  # descriptions
_TRUE = {"1", "y", "yes", "on", "true"}
_FALSE = {"", "0", "n", "no", "off", "false"}


@lru_cache(maxsize=1)
def time_zones():
    """Map each IANA zone name, casefolded, to its spelling: the zones an event may use."""
    return {name.casefold(): name for name in available_timezones() if "/" in name or name == "UTC"}


def text(raw, field, errors, maximum, required=False, multiline=False, what=_l("This field")):
    """Return the text stripped and NFC-normalised; refuse control characters and long text."""
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        errors[field] = _("%(what)s must be text.", what=what)
        return None
    value = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    # Line breaks and tabs belong in a description; every other control character is refused
    # (PostgreSQL refuses NUL outright, and invisible characters disguise text).
    visible = value.replace("\n", "").replace("\t", "") if multiline else value
    if has_hidden_characters(visible):
        errors[field] = _("%(what)s contains control or invisible characters. Please type it again.", what=what)
    elif len(value) > maximum:
        errors[field] = _("%(what)s is too long: at most %(max)d characters, not %(length)d.",
                          what=what, max=maximum, length=len(value))
    elif required and not value:
        errors[field] = _("%(what)s is required.", what=what)
    else:
        return value
    return None


# Letters written with other letters in a web address: Russian and Kazakh Cyrillic (the common
# Latin spellings), and the Turkish letters that have no accent to drop.
_TRANSLITERATION = {
    **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye")),
    "ё": "yo", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": "", "ю": "yu",
    "я": "ya", "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    "ı": "i", "ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l",
}
SLUG_MAX = 80


def make_slug(text):
    """A web address name made from `text` (an event's name): Cyrillic and Turkish letters
    written in Latin ones, accents dropped, anything else a dash; "" if nothing is left.
    "Kazakh Shorts 2027" -> kazakh-shorts-2027; "Қазақ киносының күндері" -> qazaq-kinosynyn-kunderi."""
    spelt = "".join(_TRANSLITERATION.get(ch, ch) for ch in text.casefold())
    plain = unicodedata.normalize("NFKD", spelt).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain)
    made = ""
    for word in words:  # whole words, up to the length a web address name may have
        if len(made) + len(word) + 1 > SLUG_MAX:
            break
        made = f"{made}-{word}" if made else word
    return made or (words[0][:SLUG_MAX] if words else "")  # a first word longer than a name may be


def slug(raw, field, errors):
    """Return a web address name: lowercase letters, digits and single dashes. What was typed
    is made into one ("Kazakh Shorts 2027" -> kazakh-shorts-2027) when it is not one already."""
    value = text(raw, field, errors, SLUG_MAX, required=True, what=_l("The web address name"))
    if value is None:
        return None
    if not SLUG.fullmatch(value):
        value = make_slug(value)
    if not value:
        errors[field] = _(
            "Use only lowercase letters a-z, digits and dashes between them, "
            "for example days-of-kazakh-cinema."
        )
        return None
    return value


def time_zone(raw, field, errors):
    """Return an IANA time zone name (Europe/Brussels), spelt as the database spells it."""
    value = text(raw, field, errors, 64, required=True, what=_l("The time zone"))
    if value is None:
        return None
    found = time_zones().get(value.casefold())
    if found is None:
        errors[field] = _("Choose a time zone from the list, such as Europe/Brussels.")
    return found


def email(raw, field, errors):
    """Return an optional e-mail address as typed, or "" for none."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    try:
        return clean_email(raw)[0]
    except ValueError as error:
        errors[field] = str(error)
        return None


def colour(raw, field, errors):
    """Return a festival's colour as "#rrggbb", or "" for the site's own; refuse a colour that
    white text on it (or it as text on a light page) would not read at WCAG AA (services.colours)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    value = colours.parse(raw) if isinstance(raw, str) and len(raw) <= 20 else None
    if value is None:
        errors[field] = _("Type a colour as # and six hexadecimal digits, such as #0b5cad, or leave it empty.")
        return None
    if not colours.passes(value):
        # The ratio cut, not rounded, to one decimal: 4.47 must not read as the 4.5 it fails.
        errors[field] = _(
            "White text on %(colour)s would be hard to read (contrast %(ratio)s:1; at least %(needed)s:1 is needed). "
            "A darker shade that reads well: %(suggestion)s.",
            colour=value, ratio=format_decimal(math.floor(colours.lowest_contrast(value) * 10) / 10, "0.0"),
            needed=format_decimal(colours.AA, "0.0"), suggestion=colours.darker_passing(value),
        )
        return None
    return value


def whole(raw, field, errors, minimum, maximum, required=False, what=_l("This number")):
    """Return a whole number from `minimum` to `maximum`; None for an empty optional field."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors[field] = _("%(what)s is required: a whole number from %(min)d to %(max)d.",
                              what=what, min=minimum, max=maximum)
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        errors[field] = _("%(what)s must be a whole number from %(min)d to %(max)d.",
                          what=what, min=minimum, max=maximum)
        return None
    value_text = str(raw).strip()
    # At most nine digits: int() of a very long string is slow, and the range says no anyway.
    if not (value_text.isascii() and _DIGITS.fullmatch(value_text.lstrip("0") or "0")):
        errors[field] = _("%(what)s must be a whole number from %(min)d to %(max)d.",
                          what=what, min=minimum, max=maximum)
        return None
    value = int(value_text)
    if not minimum <= value <= maximum:
        errors[field] = _("%(what)s must be from %(min)d to %(max)d.", what=what, min=minimum, max=maximum)
        return None
    return value


def flag(raw, field, errors):
    """Return a yes/no value from a checkbox (absent means no)."""
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    errors[field] = _("Choose yes or no.")
    return None


def choice(raw, field, errors, allowed, what=_l("This field")):
    """Return one of the `allowed` words, as typed or with spaces around it."""
    value = raw.strip() if isinstance(raw, str) else raw
    if value in allowed:
        return value
    errors[field] = _("%(what)s must be one of the choices offered.", what=what)
    return None


def local_time(raw, field, errors, tz, required=False, what=_l("This time")):
    """Return the aware UTC time of a wall-clock time typed in the event's zone `tz`.

    Text like 2027-03-18T19:30 (a datetime-local input) or 2027-03-18 19:30; a naive datetime is
    read as local time too, an aware one is taken as it is. A time that the clocks skip (a
    daylight-saving gap) is refused; one they pass twice is taken at its first occurrence,
    before the clocks go back (services.schedule.local_to_utc).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors[field] = _("%(what)s is required: a date and a time, such as 2027-03-18 19:30.", what=what)
        return None
    if isinstance(raw, datetime):
        local = raw
    elif isinstance(raw, str) and len(raw) <= 40:
        local = None
        for pattern in _LOCAL_FORMATS:
            try:
                local = datetime.strptime(raw.strip(), pattern)
                break
            except ValueError:
                continue
    else:
        local = None
    if local is None:
        errors[field] = _("%(what)s must be a date and a time, such as 2027-03-18 19:30.", what=what)
        return None
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc)
    if not 2000 <= local.year <= 2100:
        errors[field] = _("%(what)s must fall between the years 2000 and 2100.", what=what)
        return None
    try:
        return local_to_utc(local.replace(second=0, microsecond=0), tz)
    except ValueError:
        typed = local.strftime("%Y-%m-%d %H:%M")  # echoed in the form's own format, as it was typed
        errors[field] = _(
            "%(time)s does not exist in %(zone)s: the clocks jump forward that night. "
            "Choose a time before or after the change.", time=typed, zone=tz,
        )
        return None


def local_input(value, tz):
    """Format an aware time as a datetime-local input value in zone `tz` ("" for None)."""
    if value is None:
        return ""
    return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
