"""Forms of the attendee pages: the list's toolbar, a registration's actions, a guest by hand."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice

C = SelectChoice
STATUS_CHOICES = [
    C("", "All"), C("confirmed", "Confirmed"), C("waitlisted", "Waiting list"), C("cancelled", "Cancelled"),
    C("checked_in", "Checked in"), C("not_in", "Confirmed, not yet in"),
]
SOURCE_CHOICES = [C("", "Any"), C("public", "Public sign-up"), C("guest", "Guests"), C("walkin", "Walk-ins")]
SORT_CHOICES = [C("name", "Name"), C("newest", "Newest sign-up first"), C("oldest", "Oldest sign-up first"),
                C("seats", "Most seats first")]


class AttendeeFilterForm(FlaskForm):
    """The list's GET toolbar: search, status, source and order (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Search", render_kw={"type": "search", "maxlength": 200, "autocomplete": "off",
                                         "placeholder": "Name, e-mail or ticket code"})
    status = SelectField("Status", choices=STATUS_CHOICES, validate_choice=False)
    source = SelectField("Source", choices=SOURCE_CHOICES, validate_choice=False)
    sort = SelectField("Sort by", choices=SORT_CHOICES, validate_choice=False)


class ResendForm(FlaskForm):
    """A button: queue the ticket e-mail again."""

    submit = SubmitField("Resend the ticket")


class CancelForm(FlaskForm):
    """A button: cancel the registration (the attendee is told)."""

    submit = SubmitField("Cancel this registration")


class MoveForm(FlaskForm):
    """The screening to move a registration to (other screenings of the same event)."""

    to_screening = SelectField("Move to screening", choices=[], validate_choice=False)
    submit = SubmitField("Move")


class CheckInForm(FlaskForm):
    """Check a registration in by hand, for some or all of its seats."""

    seats = StringField("People to admit", render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"})
    submit = SubmitField("Check in")


class GuestForm(FlaskForm):
    """A guest added by hand: name, optional e-mail, seats and a note."""

    name = StringField("Name", render_kw={"maxlength": 200, "autocomplete": "off"})
    email = StringField("Email (optional)", render_kw={"type": "email", "maxlength": 254, "autocomplete": "off"})
    seats = StringField("Seats", default="1", render_kw={"inputmode": "numeric", "maxlength": 4})
    note = TextAreaField("Note (for the organizers)", render_kw={"maxlength": 500, "rows": 3})
    submit = SubmitField("Add the guest")


class ImportForm(FlaskForm):
    """A CSV file of guests."""

    file = FileField("Guest list (CSV file)", render_kw={"accept": ".csv,text/csv,text/plain"})
    submit = SubmitField("Upload and check")


class ConfirmImportForm(FlaskForm):
    """A button: add the previewed guests."""

    submit = SubmitField("Confirm and add the guests")
