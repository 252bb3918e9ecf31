"""The organizers' words in every language: one home for which texts have other languages, where
they are kept, and which one a reader gets.

An event's organizers write in its main language (`Event.main_language`): the columns hold those
texts. The same texts in the other languages the site offers (LANGUAGES) are kept in the row's
`texts`, as {locale: {field: text}}. A reader gets the text in their language, else the main
language's. Film titles, names and places stay as written: they are not in TRANSLATABLE.
"""
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..database import write_transaction
from ..errors import InvalidInputError, NotFoundError
from ..models import Announcement, Event, Screening
from . import audit
from . import event_inputs as fi

# The texts with other languages, by kind of row: field -> (most characters, several lines, its name).
TRANSLATABLE = {
    Event: {
        "description": (fi.TEXT_MAX, True, _l("The description")),
        "directions": (fi.TEXT_MAX, True, _l("The directions")),
        "mail_closing": (2000, True, _l("The e-mails' closing words")),
    },
    Screening: {
        "description": (fi.TEXT_MAX, True, _l("The description")),
        "note": (300, False, _l("The note")),
    },
    Announcement: {
        "subject": (200, False, _l("The subject")),
        "body": (10_000, True, _l("The message")),
    },
}


def main_language(item):
    """The language an event's organizers write `item` in (an event, or a row that has an `event`
    or a `screening`): its event's main language."""
    event = item if isinstance(item, Event) else getattr(item, "event", None) or item.screening.event
    return event.main_language or "en"


def text(item, field, locale=None):
    """`item`'s `field` in `locale` (default: the reader's language), else in its main language."""
    locale = str(locale or get_locale() or "en")
    if locale != main_language(item):
        written = ((item.texts or {}).get(locale) or {}).get(field)
        if written:
            return written
    return getattr(item, field)


def other_languages(item):
    """The site's languages but `item`'s main one, in the site's order."""
    main = main_language(item)
    return [code for code in current_app.config["LANGUAGES"] if code != main]


def missing(item):
    """{locale: [fields]} of the texts written in the main language but not yet in `locale`."""
    fields = [name for name in TRANSLATABLE[type(item)] if getattr(item, name)]
    return {locale: [name for name in fields if not ((item.texts or {}).get(locale) or {}).get(name)]
            for locale in other_languages(item)}


def clean(kind, locale, values, allowed_languages):
    """Return {field: text} of `values` for `kind` (Event, Screening or Announcement) in `locale`,
    each cleaned as its main-language field is; empty ones dropped. Raises InvalidInputError."""
    errors = {}
    if locale not in allowed_languages:
        raise InvalidInputError({"locale": str(_l("This language is not offered."))})
    cleaned = {}
    for name, (maximum, multiline, what) in TRANSLATABLE[kind].items():
        value = fi.text(values.get(name), name, errors, maximum, multiline=multiline, what=what)
        if value:
            cleaned[name] = value
    if errors:
        raise InvalidInputError(errors)
    return cleaned


def save(kind, item_id, locale, values, user_id=None):
    """Keep the texts of an event or a screening in `locale` (an empty field removes that text);
    recorded in the audit log. Returns the row. Raises NotFoundError, InvalidInputError."""
    with write_transaction() as session:
        item = session.get(kind, item_id, with_for_update=True)
        if item is None:
            raise NotFoundError()
        cleaned = clean(kind, locale, values, other_languages(item))
        texts = {code: dict(fields) for code, fields in (item.texts or {}).items() if code != locale}
        if cleaned:
            texts[locale] = cleaned
        item.texts = texts  # a new dict: the JSON column sees the change
        action = "event.update" if kind is Event else "screening.update"
        audit.record(session, user_id, action, item, texts=locale, fields=sorted(cleaned))
        return item


def register(app):
    """Templates call `tr(item, "field")`: the text in the reader's language; and
    `texts_missing(item)`, for the back office's tabs."""
    app.add_template_global(text, "tr")
    app.add_template_global(missing, "texts_missing")
