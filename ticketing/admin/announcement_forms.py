"""The form of an organizer's message to the attendees of a screening."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField

from ..services.announcements import BODY_MAX, SUBJECT_MAX


class AnnouncementForm(FlaskForm):
    """Subject, text and who receives it; a one-time key so that it is sent once."""

    subject = StringField(_l("Subject"), render_kw={"maxlength": SUBJECT_MAX, "autocomplete": "off"})
    body = TextAreaField(_l("Message"), render_kw={"maxlength": BODY_MAX, "rows": 10})
    audience = RadioField(_l("Send it to"), choices=[], default="confirmed", validate_choice=False)
    form_key = HiddenField()
    submit = SubmitField(_l("Preview the message"))  # the preview asks "Send to N people?"
