"""The form of the audience's votes in the back office. The service checks every field
(services/votes.py); the form carries CSRF and keeps what was typed."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField

from ..formatting import local_datetime
from ..services.event_inputs import local_input

_TIME = {"type": "datetime-local"}


class VoteForm(FlaskForm):
    """A vote's kind, its screening (or the whole event), its opening and closing times (typed in
    the event's zone) and whether its results may be shown to anyone."""

    FIELDS = ("kind", "screening_id", "opens_at", "closes_at", "results_public")

    kind = RadioField(_l("What the audience is asked"), default="rating", validate_choice=False, choices=[
        ("rating", _l("A rating of the film they saw, from 1 to 5 stars")),
        ("best_film", _l("The festival's best film, among its screenings")),
    ])
    screening_id = SelectField(_l("Who votes"), validate_choice=False, choices=[])
    opens_at = StringField(_l("Opens"), render_kw=_TIME)
    closes_at = StringField(_l("Closes"), render_kw=_TIME)
    results_public = BooleanField(_l("Anyone may open the projector page (the results shown live)"))
    submit = SubmitField(_l("Save the vote"))

    def __init__(self, event, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.screening_id.choices = [("", _("Everyone let in at any of the event's screenings"))] + [
            (str(s.id), _("Those let in at %(title)s, %(when)s", title=s.title, when=local_datetime(s.starts_at, event.tz)))
            for s in event.screenings if not s.is_cancelled]

    def values(self):
        return {name: self[name].data for name in self.FIELDS}

    def fill_from(self, vote):
        """Show a vote's stored values, times in the event's zone."""
        self.kind.data = vote.kind
        self.screening_id.data = str(vote.screening_id or "")
        self.opens_at.data = local_input(vote.opens_at, self.event.tz)
        self.closes_at.data = local_input(vote.closes_at, self.event.tz)
        self.results_public.data = vote.results_public
