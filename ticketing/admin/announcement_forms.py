"""The form of an organizer's message to the attendees of a screening."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField

from ..formatting import LANGUAGE_NAMES
from ..services.announcements import BODY_MAX, SUBJECT_MAX


class AnnouncementForm(FlaskForm):
    """Subject, text and who receives it; a one-time key so that it is sent once. The same subject
    and text in other languages are `subject_<code>` and `body_<code>` (optional; the page shows
    those of the event's other languages)."""

    subject = StringField(_l("Subject"), render_kw={"maxlength": SUBJECT_MAX, "autocomplete": "off"})
    body = TextAreaField(_l("Message"), render_kw={"maxlength": BODY_MAX, "rows": 10})
    audience = RadioField(_l("Send it to"), choices=[], default="confirmed", validate_choice=False)
    form_key = HiddenField()
    submit = SubmitField(_l("Preview the message"))  # the preview asks "Send to N people?"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in LANGUAGE_NAMES.items():  # each language's fields say which they are
            self[f"subject_{code}"].label.text = _("Subject in %(language)s", language=name)
            self[f"body_{code}"].label.text = _("Message in %(language)s", language=name)

    def translations(self, locales):
        """{locale: {"subject", "body"}} as typed for `locales`."""
        return {code: {"subject": self[f"subject_{code}"].data, "body": self[f"body_{code}"].data} for code in locales}


for _code in LANGUAGE_NAMES:
    setattr(AnnouncementForm, f"subject_{_code}", StringField(
        _l("Subject"), render_kw={"maxlength": SUBJECT_MAX, "autocomplete": "off", "lang": _code}))
    setattr(AnnouncementForm, f"body_{_code}", TextAreaField(
        _l("Message"), render_kw={"maxlength": BODY_MAX, "rows": 6, "lang": _code}))
