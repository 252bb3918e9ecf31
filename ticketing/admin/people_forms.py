"""Forms of the staff-account pages: add an account, change it, reset its password."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

ROLE_CHOICES = [
    SelectChoice("door", _l("Door staff: check tickets in and add walk-ins")),
    SelectChoice("admin", _l("Admin: the whole back office")),
]
PASSWORD_HINT = _l("At least 12 characters. Leave it empty to have one generated and shown once.")


class RoleField(RadioField):
    """The role, one of ROLE_CHOICES, with a message that says what to do."""

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Choose a role: door staff or admin."))


class EventsField(SelectMultipleField):
    """Events as labelled checkboxes; ids not in the list are refused with one plain message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=int, **kwargs)

    def process_formdata(self, valuelist):
        try:
            self.data = [int(value) for value in valuelist if len(value) <= 10]
            if len(self.data) != len(valuelist):
                raise ValueError
        except ValueError:
            self.data = []
            raise ValueError(_l("Choose events from the list.")) from None

    def pre_validate(self, form):
        known = {choice.value for choice in self.choices}
        if any(value not in known for value in self.data or ()):
            raise ValidationError(_l("Choose events from the list; one of them does not exist."))


class _AccountFields(FlaskForm):
    # No default: a change posted without a role is refused, never read as a demotion.
    role = RoleField(_l("Role"), choices=ROLE_CHOICES)
    events = EventsField(_l("Events this door user works at"))


class UserNewForm(_AccountFields):
    """A new staff account."""

    role = RoleField(_l("Role"), choices=ROLE_CHOICES, default="door")  # the least power
    email = EmailField(_l("Email"), render_kw={"maxlength": 254, "autocomplete": "off", "spellcheck": "false"})
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "new-password", "maxlength": 200})
    submit = SubmitField(_l("Add the account"))


class UserEditForm(_AccountFields):
    """An account's role, whether it may log in, and its events."""

    is_active = BooleanField(_l("Active: this account may log in"))
    submit = SubmitField(_l("Save the changes"))


class PasswordResetForm(FlaskForm):
    """A new password for an account: typed, or generated when left empty."""

    password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password", "maxlength": 200})
    submit = SubmitField(_l("Reset the password"))
