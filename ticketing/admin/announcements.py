"""Back office: write to every attendee of a screening, and see what was written before."""
import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..errors import InvalidInputError, NotFoundError
from ..extensions import db
from ..formatting import languages
from ..formerrors import EXPIRED, put_errors
from ..models import Screening
from ..services import announcements, mailer, texts
from . import bp
from .announcement_forms import AnnouncementForm


def _audience_choices(counts):
    """The two groups, each with how many of them an e-mail reaches."""
    reached_confirmed, reached_active = counts["confirmed"][0], counts["active"][0]
    return [
        ("confirmed", ngettext("People with a seat (%(num)d with an e-mail address)",
                               "People with a seat (%(num)d with an e-mail address)", reached_confirmed)),
        ("active", ngettext("People with a seat and the waiting list (%(num)d with an e-mail address)",
                            "People with a seat and the waiting list (%(num)d with an e-mail address)",
                            reached_active)),
    ]


@bp.route("/screenings/<int(max=2147483647):screening_id>/message", methods=["GET", "POST"])
def screening_message(screening_id):
    """Write one message to the attendees of a screening: each gets it by e-mail, in their
    language around the organizer's words; the messages sent before are listed below."""
    screening = db.get_or_404(Screening, screening_id)
    form = AnnouncementForm()
    others = texts.other_languages(screening)
    translations = form.translations(others)
    error, previews = None, None
    if request.method == "GET":
        form.form_key.data = secrets.token_urlsafe(24)
    elif not form.validate():
        error = str(EXPIRED)
    elif "send" in request.form:  # pressed on the preview: "Send to N people"
        try:
            sent = announcements.send(screening.id, form.subject.data, form.body.data, form.audience.data,
                                      form.form_key.data, user_id=current_user.id, translations=translations)
        except NotFoundError:
            abort(404)
        except InvalidInputError as failure:
            error = put_errors(form, failure)
        else:
            if sent.created:
                flash(ngettext("The message will be sent to %(num)d person within a minute.",
                               "The message will be sent to %(num)d people within a minute.",
                               sent.announcement.recipients), "success")
            else:
                flash(_("This message had been sent already; it was not sent again."), "info")
            return redirect(url_for("admin.screening_message", screening_id=screening.id), 303)
        db.session.rollback()
        screening = db.session.get(Screening, screening_id)
    elif "edit" not in request.form:  # "Preview the message": as each language will read it
        try:
            previews = announcements.preview(screening.id, form.subject.data, form.body.data, form.audience.data,
                                             translations)
            if "test" in request.form and previews:  # "Send a test to me", pressed on the preview
                announcements.send_test(screening.id, form.subject.data, form.body.data, form.audience.data,
                                        current_user.email, str(get_locale()), translations)
                flash(_("A test was sent to %(address)s.", address=current_user.email), "success")
        except InvalidInputError as failure:
            error = put_errors(form, failure)
        except mailer.Unreachable as failure:
            error = _("The test could not be sent: %(reason)s", reason=str(failure))
        if previews == []:
            error = put_errors(form, InvalidInputError({"audience": str(announcements.NOBODY)}))
            previews = None
    counts = announcements.audience_counts(screening.id)
    form.audience.choices = _audience_choices(counts)
    return render_template(
        "admin/screening_message.html", screening=screening, event=screening.event, form=form,
        error=error, counts=counts, history=announcements.history(screening.id), previews=previews,
        people=sum(p.people for p in previews or ()), language_names=dict(languages()), others=others,
    ), 422 if error else 200
