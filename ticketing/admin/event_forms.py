"""Forms of the events and screenings pages. Field rules live in services.events; forms carry
CSRF and keep what was typed (every field is text, so that nothing typed is lost)."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField

from ..formatting import LANGUAGE_NAMES
from ..services.event_inputs import local_input

_NUMBER = {"inputmode": "numeric", "pattern": "[0-9]*", "size": 6, "autocomplete": "off"}
_TIME = {"type": "datetime-local"}


class _ValuesForm(FlaskForm):
    """A form whose fields (but the buttons) are passed to a service by name."""

    FIELDS = ()

    def values(self):
        """Return {field name: typed value} for the service."""
        return {name: self[name].data for name in self.FIELDS}


class EventForm(_ValuesForm):
    """An event's fields."""

    FIELDS = ("name", "slug", "main_language", "description", "timezone", "venue", "address", "directions",
              "contact_email", "mail_closing", "accent", "protection", "reminder_hours", "thank_you",
              "is_published")

    name = StringField(lazy_pgettext("the name of an event", "Name"), render_kw={"maxlength": 200})
    slug = StringField(_l("Web address name"), render_kw={"maxlength": 80, "autocapitalize": "none",
                                                          "spellcheck": "false"})
    # The choices are the site's languages, set by the view (LANGUAGES); the service checks them.
    main_language = SelectField(_l("Main language"), default="en", validate_choice=False, choices=[])
    description = TextAreaField(_l("Description"), render_kw={"rows": 5})
    timezone = StringField(_l("Time zone"), default="Europe/Brussels",
                           render_kw={"list": "time-zones", "maxlength": 64, "autocomplete": "off",
                                      "spellcheck": "false"})
    venue = StringField(_l("Venue"), render_kw={"maxlength": 200})
    address = StringField(_l("Address"), render_kw={"maxlength": 300, "autocomplete": "street-address"})
    directions = TextAreaField(_l("How to get there"), render_kw={"rows": 3})
    contact_email = EmailField(_l("Contact e-mail address"), render_kw={"maxlength": 254, "autocomplete": "email"})
    mail_closing = TextAreaField(_l("Closing words of the e-mails"), render_kw={"rows": 3})
    accent = StringField(_l("The festival's colour"), render_kw={"maxlength": 7, "autocomplete": "off",
                                                                  "spellcheck": "false", "size": 8})
    # The service checks the choice (services/events.py): a stray value keeps its own message.
    protection = RadioField(_l("Free seats kept for people"), default="email", validate_choice=False, choices=[
        ("email", _l("E-mail confirmation: a booking keeps its seats for a few minutes, until the link in its "
                     "e-mail is followed (recommended)")),
        ("none", _l("None: a booking is confirmed at once")),
    ])
    reminder_hours = StringField(_l("Reminder, hours before each screening"), default="24", render_kw=_NUMBER)
    thank_you = BooleanField(_l("Thank those let in by e-mail after each film"))
    is_published = BooleanField(_l("Published: shown on the public pages"))
    submit = SubmitField(_l("Save the event"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.main_language.choices = [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]

    def fill_from(self, event):
        """Show an event's stored values."""
        for name in self.FIELDS:
            value = getattr(event, name)
            self[name].data = "" if value is None and name == "reminder_hours" else value


class ScreeningForm(_ValuesForm):
    """A screening's fields; times are typed in the event's time zone."""

    FIELDS = (
        "title", "original_title", "director", "year", "runtime_minutes", "language", "subtitles",
        "description", "note", "venue", "hall", "starts_at", "capacity", "max_seats", "seats_held",
        "release_minutes", "registration_opens_at", "registration_closes_at", "is_published",
    )
    TIMES = ("starts_at", "registration_opens_at", "registration_closes_at")

    title = StringField(_l("Title"), render_kw={"maxlength": 200})
    original_title = StringField(_l("Original title"), render_kw={"maxlength": 200})
    director = StringField(_l("Director"), render_kw={"maxlength": 200})
    year = StringField(_l("Year"), render_kw=dict(_NUMBER, size=4))
    runtime_minutes = StringField(_l("Running time (minutes)"), render_kw=_NUMBER)
    language = StringField(_l("Language"), render_kw={"maxlength": 100})
    subtitles = StringField(_l("Subtitles"), render_kw={"maxlength": 100})
    description = TextAreaField(_l("Description"), render_kw={"rows": 5})
    note = StringField(_l("Note shown with the screening"), render_kw={"maxlength": 300})
    venue = StringField(_l("Venue (if not the event's)"), render_kw={"maxlength": 200})
    hall = StringField(_l("Hall"), render_kw={"maxlength": 100})
    starts_at = StringField(_l("Starts at"), render_kw=_TIME)
    capacity = StringField(_l("Capacity (seats in the hall)"), render_kw=_NUMBER)
    max_seats = StringField(_l("Most seats one person may book"), default="1", render_kw=_NUMBER)
    seats_held = StringField(_l("Seats held back for guests"), default="0", render_kw=_NUMBER)
    release_minutes = StringField(_l("Release unclaimed seats, minutes before the start"), render_kw=_NUMBER)
    registration_opens_at = StringField(_l("Registration opens at"), render_kw=_TIME)
    registration_closes_at = StringField(_l("Registration closes at"), render_kw=_TIME)
    is_published = BooleanField(_l("Published: shown on the public pages"))
    # The held seats as the page showed them: guests added meanwhile take from that pool, and
    # saving an untouched field must not give those seats back to it.
    held_was = HiddenField()
    submit = SubmitField(_l("Save the screening"))

    def changed_values(self):
        """The values for update_screening(), leaving out held seats the organizer left alone."""
        values = self.values()
        if (values["seats_held"] or "").strip() == (self.held_was.data or "").strip() and self.held_was.data:
            del values["seats_held"]
        return values

    def fill_from(self, screening):
        """Show a screening's stored values, its times in its event's zone."""
        tz = screening.event.tz
        for name in self.FIELDS:
            value = getattr(screening, name)
            if name in self.TIMES:
                value = local_input(value, tz)
            elif name != "is_published":
                value = "" if value is None else str(value)
            self[name].data = value
        self.held_was.data = str(screening.seats_held)


class PublishForm(FlaskForm):
    """A button that publishes (value 1) or unpublishes (value 0)."""

    value = HiddenField()
    submit = SubmitField(_l("Publish"))


class CancelScreeningForm(FlaskForm):
    """The confirmation of a screening's cancellation."""

    submit = SubmitField(_l("Yes, cancel this screening and tell everyone"))


_IMAGES = {"accept": "image/jpeg,image/png,image/webp,image/gif"}


class PosterForm(FlaskForm):
    """Upload a poster, or remove the one there is."""

    poster = FileField(_l("Poster image (JPEG, PNG, WebP or GIF, at most 10 MB)"), render_kw=_IMAGES)
    upload = SubmitField(_l("Upload the poster"))
    remove = SubmitField(_l("Remove the poster"))


class LogoForm(FlaskForm):
    """Upload the festival's logo, or remove the one there is."""

    logo = FileField(_l("Logo image (JPEG, PNG, WebP or GIF, at most 10 MB)"), render_kw=_IMAGES)
    upload = SubmitField(_l("Upload the logo"))
    remove = SubmitField(_l("Remove the logo"))


class CoverForm(FlaskForm):
    """Upload the festival's cover image, or remove the one there is."""

    cover = FileField(_l("Cover image (JPEG, PNG, WebP or GIF, at most 10 MB)"), render_kw=_IMAGES)
    upload = SubmitField(_l("Upload the cover image"))
    remove = SubmitField(_l("Remove the cover image"))


class TextsForm(FlaskForm):
    """An event's or a screening's texts in one other language (services/texts.py): the page
    shows the fields of its kind; empty ones are not kept."""

    description = TextAreaField(_l("Description"), render_kw={"rows": 5})
    directions = TextAreaField(_l("How to get there"), render_kw={"rows": 3})
    mail_closing = TextAreaField(_l("Closing words of the e-mails"), render_kw={"rows": 3})
    note = StringField(_l("Note shown with the screening"), render_kw={"maxlength": 300})
    submit = SubmitField(_l("Save the texts"))
