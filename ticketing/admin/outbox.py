"""Back office: the e-mails of the outbox, waiting, failed and sent, and a retry button."""
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField

from ..errors import NotFoundError, TicketingError
from ..services import mailer
from . import bp

KINDS = {
    "confirmation": _l("Ticket"),
    "repeat_signup": _l("Ticket again (repeat sign-up)"),
    "waitlisted": _l("Waiting list"),
    "promoted": _l("Off the waiting list"),
    "cancelled": _l("Cancelled"),
    "released": _l("Seats released"),
    "moved": _l("Moved"),
    "screening_cancelled": _l("Screening cancelled"),
    "announcement": _l("Message from the organizers"),
    "find_tickets": _l("Tickets asked for again (Find my ticket)"),
}


class RetryForm(FlaskForm):
    """A button: try this message again now."""

    submit = SubmitField(_l("Try again now"))


@bp.get("/outbox")
def outbox():
    """The outbox: counts, failed messages with their errors, waiting and recently sent ones."""
    return render_template(
        "admin/outbox.html", counts=mailer.counts(), kinds=KINDS, form=RetryForm(), error_text=mailer.error_text,
        failed=mailer.listing("failed"), waiting=mailer.listing("waiting"), sent=mailer.listing("sent"),
        to_server=bool(current_app.config.get("MAIL_SERVER")),
    )


@bp.post("/outbox/retry-failed")
def outbox_retry_failed():
    """Send every given-up message again at the sender's next pass, each with a fresh round of tries."""
    form = RetryForm()
    if not form.validate():
        flash(_("This form had expired. Please try again."), "error")
        return redirect(url_for("admin.outbox"), 303)
    retried = mailer.retry_failed(user_id=current_user.id)
    if retried:
        flash(ngettext("%(num)d message will be sent again within a few seconds.",
                       "%(num)d messages will be sent again within a few seconds.", retried), "success")
    else:
        flash(_("No message had failed."), "info")
    return redirect(url_for("admin.outbox"), 303)


@bp.post("/outbox/<int(max=2147483647):outbox_id>/retry")
def outbox_retry(outbox_id):
    """Send a failed or waiting message at the sender's next pass, with a fresh round of tries."""
    form = RetryForm()
    if not form.validate():
        flash(_("This form had expired. Please try again."), "error")
        return redirect(url_for("admin.outbox"), 303)
    try:
        mailer.retry(outbox_id, user_id=current_user.id)
    except NotFoundError:
        abort(404)
    except TicketingError as error:
        flash(str(error.message), "error")
        return redirect(url_for("admin.outbox"), 303)
    flash(_("The message will be sent again within a few seconds."), "success")
    return redirect(url_for("admin.outbox"), 303)
