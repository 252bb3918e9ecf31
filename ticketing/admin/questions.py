"""Back office: an event's own questions on the sign-up form (services/questions.py)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField

from ..errors import InvalidInputError, NotFoundError
from ..extensions import db
from ..formatting import LANGUAGE_NAMES
from ..formerrors import EXPIRED, put_errors
from ..models import Event, Question
from ..services import questions as service
from ..services import texts
from . import bp


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
        found = {name: self[name].data for name in self.FIELDS}
        found.update({f"{field}_{code}": self[f"{field}_{code}"].data for code in self.others
                      for field in ("label", "choices")})
        return found

    def fill_from(self, question):
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
    submit = SubmitField(_l("Remove the question"))


@bp.route("/events/<int(max=2147483647):event_id>/questions", methods=["GET", "POST"])
def questions(event_id):
    """The event's questions, and a form to add one."""
    event = db.get_or_404(Event, event_id)
    form = QuestionForm(event)
    error = None
    if request.method == "POST":
        if not form.validate():
            error = str(EXPIRED)
        else:
            try:
                service.save_question(event_id, form.values(), user_id=current_user.id)
            except InvalidInputError as failure:
                error = put_errors(form, failure, _("Please correct the marked fields. Nothing was saved."))
            else:
                flash(_("The question is added to the sign-up form."), "success")
                return redirect(url_for("admin.questions", event_id=event_id), 303)
    return render_template("admin/questions.html", event=event, form=form, error=error,
                           listed=service.of_event(event_id, with_removed=True), kinds=service.KIND_NAMES,
                           remove_form=RemoveForm()), 422 if error else 200


@bp.route("/questions/<int(max=2147483647):question_id>", methods=["GET", "POST"])
def question(question_id):
    """Change a question; its earlier answers stay as they were given."""
    shown = db.get_or_404(Question, question_id)
    if shown.removed_at is not None:
        abort(404)
    form = QuestionForm(shown.event)
    error = None
    if request.method == "GET":
        form.fill_from(shown)
    elif not form.validate():
        error = str(EXPIRED)
    else:
        try:
            service.save_question(shown.event_id, form.values(), question_id=question_id, user_id=current_user.id)
        except InvalidInputError as failure:
            error = put_errors(form, failure, _("Please correct the marked fields. Nothing was saved."))
        except NotFoundError:
            abort(404)
        else:
            flash(_("The question is saved."), "success")
            return redirect(url_for("admin.questions", event_id=shown.event_id), 303)
    return render_template("admin/question.html", event=shown.event, question=shown, form=form, error=error,
                           remove_form=RemoveForm()), 422 if error else 200


@bp.route("/questions/<int(max=2147483647):question_id>/remove", methods=["POST"])
def question_remove(question_id):
    """Take a question off the sign-up form; its answers stay readable."""
    shown = db.get_or_404(Question, question_id)
    if not RemoveForm().validate():
        flash(str(EXPIRED), "error")
    else:
        try:
            service.remove_question(question_id, user_id=current_user.id)
        except NotFoundError:
            abort(404)
        flash(_("The question is removed from the sign-up form; its answers are kept."), "info")
    return redirect(url_for("admin.questions", event_id=shown.event_id), 303)
