"""Back office: an event's own questions on the sign-up form (services/questions.py)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import InvalidInputError, NotFoundError
from ..extensions import db
from ..formerrors import EXPIRED, put_errors
from ..models import Event, Question
from ..services import questions as service
from . import bp
from .question_forms import QuestionForm, RemoveForm


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
