"""Forms of the questions pages: a question's fields, its words in other languages, removal.
The service checks every field (services/questions.py); the forms carry CSRF and keep what was
typed."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField

from ..formatting import LANGUAGE_NAMES
from ..services import questions as service
from ..services import texts


class QuestionForm(FlaskForm):
    """A question's fields; its label and choices in other languages are label_<code> and
    choices_<code> (the page shows the event's other languages)."""

    FIELDS = ("kind", "label", "choices", "link", "required", "screening_id", "position")

    kind = SelectField(_l("Kind of answer"), validate_choice=False, choices=[])
    label = StringField(_l("Question"), render_kw={"maxlength": service.LABEL_MAX})
    choices = TextAreaField(_l("Choices, one per line"), render_kw={"rows": 4})
    link = StringField(_l("Link (for a consent box: the page it agrees to)"), render_kw={"maxlength": service.LINK_MAX,
                                                                                          "inputmode": "url"})
    required = BooleanField(_l("An answer is required"))
    screening_id = SelectField(_l("Asked at"), validate_choice=False, choices=[])
    position = StringField(_l("Order (smaller first)"), default="0",
                           render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "size": 4})
    submit = SubmitField(_l("Save the question"))

    def __init__(self, event, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(kind, str(name)) for kind, name in service.KIND_NAMES.items()]
        self.screening_id.choices = [("", _("Every screening"))] + [(str(s.id), s.title) for s in event.screenings]
        self.others = texts.other_languages(event)
        for code, name in LANGUAGE_NAMES.items():  # each language's fields say which they are
            self[f"label_{code}"].label.text = _("Question in %(language)s", language=name)
            self[f"choices_{code}"].label.text = _("Choices in %(language)s, one per line, in the same order",
                                                   language=name)

    def values(self):
        """{field: typed value} for the service, the other languages' words included."""
        found = {name: self[name].data for name in self.FIELDS}
        found.update({f"{field}_{code}": self[f"{field}_{code}"].data for code in self.others
                      for field in ("label", "choices")})
        return found

    def fill_from(self, question):
        """Show a question's stored values."""
        for name in self.FIELDS:
            value = getattr(question, name)
            self[name].data = ("\n".join(value) if name == "choices" else "" if value is None else
                               str(value) if name in ("screening_id", "position") else value)
        for code in self.others:
            words = (question.texts or {}).get(code) or {}
            self[f"label_{code}"].data = words.get("label", "")
            self[f"choices_{code}"].data = "\n".join(words.get("choices") or [])


for _code in LANGUAGE_NAMES:
    setattr(QuestionForm, f"label_{_code}", StringField(render_kw={"maxlength": service.LABEL_MAX, "lang": _code}))
    setattr(QuestionForm, f"choices_{_code}", TextAreaField(render_kw={"rows": 4, "lang": _code}))


class RemoveForm(FlaskForm):
    """Take a question off the form (its answers stay)."""

    submit = SubmitField(_l("Remove the question"))
