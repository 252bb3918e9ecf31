"""Forms of the attendee pages: the list's toolbar, a registration's actions, a guest by hand."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice

C = SelectChoice
STATUS_CHOICES = [
    C("", _l("All")), C("confirmed", _l("Confirmed")), C("waitlisted", _l("Waiting list")), C("cancelled", _l("Cancelled")),
    C("checked_in", _l("Checked in")), C("not_in", _l("Confirmed, not yet in")),
]
SOURCE_CHOICES = [C("", _l("Any")), C("public", _l("Public sign-up")), C("guest", _l("Guests")), C("walkin", _l("Walk-ins"))]
SORT_CHOICES = [C("name", _l("Name")), C("newest", _l("Newest sign-up first")), C("oldest", _l("Oldest sign-up first")),
                C("seats", _l("Most seats first"))]


class AttendeeFilterForm(FlaskForm):
    """The list's GET toolbar: search, status, source and order (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    # What to type is said under the label, whole (a placeholder was cut off on a phone).
    q = StringField(_l("Search"), render_kw={"type": "search", "maxlength": 200, "autocomplete": "off"})
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, validate_choice=False)
    source = SelectField(_l("Source"), choices=SOURCE_CHOICES, validate_choice=False)
    sort = SelectField(_l("Sort by"), choices=SORT_CHOICES, validate_choice=False)


class ResendForm(FlaskForm):
    """A button: queue the ticket e-mail again."""

    submit = SubmitField(_l("Resend the ticket"))


class CancelForm(FlaskForm):
    """A button: cancel the registration (the attendee is told)."""

    submit = SubmitField(_l("Cancel this registration"))


class MoveForm(FlaskForm):
    """The screening to move a registration to (other screenings of the same event)."""

    to_screening = SelectField(_l("Move to screening"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Move"))


class CheckInForm(FlaskForm):
    """Check a registration in by hand, for some or all of its seats."""

    seats = StringField(_l("People to admit"), render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"})
    submit = SubmitField(_l("Check in"))


class GuestForm(FlaskForm):
    """A guest added by hand: name, optional e-mail, seats and a note."""

    name = StringField(_l("Name"), render_kw={"maxlength": 200, "autocomplete": "off"})
    email = StringField(_l("Email (optional)"), render_kw={"type": "email", "maxlength": 254, "autocomplete": "off"})
    seats = StringField(_l("Seats"), default="1", render_kw={"inputmode": "numeric", "maxlength": 4})
    note = TextAreaField(_l("Note (for the organizers)"), render_kw={"maxlength": 500, "rows": 3})
    language = SelectField(_l("Language of the guest's e-mails and ticket"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Add the guest"))


class ImportForm(FlaskForm):
    """A CSV file of guests."""

    file = FileField(_l("Guest list (CSV file)"), render_kw={"accept": ".csv,text/csv,text/plain"})
    submit = SubmitField(_l("Upload and check"))


class ConfirmImportForm(FlaskForm):
    """A button: add the previewed guests."""

    submit = SubmitField(_l("Confirm and add the guests"))
