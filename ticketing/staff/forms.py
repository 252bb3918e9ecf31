"""Forms of the staff pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), render_kw={"autocomplete": "username", "maxlength": 254})
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "current-password", "maxlength": 200})
    submit = SubmitField(_l("Log in"))


class LogoutForm(FlaskForm):
    """A button: logging out is a POST with CSRF, so that no link can log someone out."""

    submit = SubmitField(_l("Log out"))


class ScanForm(FlaskForm):
    """One field that a hand, a USB scanner or the camera fills with a code (or a name)."""

    code = StringField(
        _l("Ticket code, or a name to search"),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "autofocus": True},
    )
    submit = SubmitField(_l("Check in"))


class DeviceForm(FlaskForm):
    """A new door device's name."""

    name = StringField(_l("Device name"), render_kw={"maxlength": 100, "placeholder": _l("Door 1 phone")})
    submit = SubmitField(_l("Create a token"))


class EndSessionsForm(FlaskForm):
    """A button that ends sessions: one's own other sessions, or (for an admin) all of someone's."""

    submit = SubmitField(_l("Log out everywhere else"))


class RevokeForm(FlaskForm):
    """A button that revokes a device's token."""

    submit = SubmitField(_l("Revoke"))


class WalkinForm(FlaskForm):
    """Someone at the door without a booking: a name if they give one, and their seats."""

    name = StringField(_l("Name (optional)"), id="walkin-name", render_kw={"maxlength": 200, "autocomplete": "off"})
    seats = StringField(_l("Seats"), id="walkin-seats", default="1", render_kw={"inputmode": "numeric", "maxlength": 3, "autocomplete": "off"})
    submit = SubmitField(_l("Admit a walk-in"))
