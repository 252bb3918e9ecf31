"""Forms of the public pages. Field rules live in services.inputs; forms carry CSRF."""
import re
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, StringField, SubmitField

_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def whole_number(value, digits):
    """A whole number typed in a form, of at most `digits` ASCII digits; None for anything else
    (the service then says what is wrong)."""
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= digits else None


class SignupForm(FlaskForm):
    """Name, e-mail and seats; a hidden nonce makes a double submission book once."""

    name = StringField(_l("Name"), render_kw={"autocomplete": "name", "maxlength": 200})
    email = EmailField(_l("Email"), render_kw={"autocomplete": "email", "maxlength": 254})
    seats = StringField(
        _l("Seats"), default="1", render_kw={"inputmode": "numeric", "size": 3}
    )
    form_key = HiddenField()
    submit = SubmitField(_l("Register"))

    def ensure_form_key(self):
        """Give the form a nonce if it has none (or a malformed one); return the nonce."""
        if not (self.form_key.data and _FORM_KEY.fullmatch(self.form_key.data)):
            self.form_key.data = secrets.token_urlsafe(18)
        return self.form_key.data


class ConfirmForm(FlaskForm):
    """A single confirmation button (cancel a registration)."""

    submit = SubmitField(_l("Yes, cancel my registration"))


class FreeSeatsForm(FlaskForm):
    """How many seats to give back, from a reminder's link (services/reminders.py). The view sets
    the choices; `seats_seen` carries the seats as shown, so that a second press frees nothing."""

    seats = RadioField(_l("How many seats do you free?"), validate_choice=False, choices=[])
    seats_seen = HiddenField()
    submit = SubmitField(_l("Free my seats"))


class BallotForm(FlaskForm):
    """A ballot in the audience's vote: the ticket's short code (when the vote is not opened from
    the ticket's page) and the choice; the view sets the choices (services/votes.py)."""

    code = StringField(_l("Ticket code"), render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                                     "spellcheck": "false", "maxlength": 40})
    choice = RadioField(_l("Your vote"), validate_choice=False, choices=[])
    submit = SubmitField(_l("Vote"))


class FindTicketForm(FlaskForm):
    """Find my ticket: the address whose bookings are e-mailed to it again."""

    email = EmailField(_l("Email"), render_kw={"autocomplete": "email", "maxlength": 254})
    submit = SubmitField(_l("Send my tickets"))
