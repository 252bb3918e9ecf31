"""Back office: the audience's votes of an event, their live results and export (services/votes.py)."""
import csv
import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import InvalidInputError
from ..extensions import db
from ..formerrors import EXPIRED, put_errors
from ..models import Event, Vote
from ..services import votes as service
from ..services.exports import neutralize
from . import bp
from .vote_forms import VoteForm

_ID = "<int(max=2147483647):{}>"


@bp.route(f"/events/{_ID.format('event_id')}/votes", methods=["GET", "POST"])
def votes(event_id):
    """The event's votes, and a form to open one."""
    event = db.get_or_404(Event, event_id)
    form = VoteForm(event)
    error = None
    if request.method == "POST":
        if not form.validate():
            error = str(EXPIRED)
        else:
            try:
                vote = service.open_vote(event_id, form.values(), user_id=current_user.id)
            except InvalidInputError as failure:
                error = put_errors(form, failure, _("Please correct the marked fields. Nothing was saved."))
            else:
                flash(_("The vote is set up."), "success")
                return redirect(url_for("admin.vote", vote_id=vote.id), 303)
    listed = db.session.scalars(db.select(Vote).where(Vote.event_id == event_id).order_by(Vote.opens_at, Vote.id)).all()
    return render_template("admin/votes.html", event=event, form=form, error=error, listed=listed,
                           state=service.state), 422 if error else 200


@bp.route(f"/votes/{_ID.format('vote_id')}", methods=["GET", "POST"])
def vote(vote_id):
    """A vote's live results, and its settings."""
    shown = db.get_or_404(Vote, vote_id)
    form = VoteForm(shown.event)
    error = None
    if request.method == "GET":
        form.fill_from(shown)
    elif not form.validate():
        error = str(EXPIRED)
    else:
        try:
            service.update_vote(vote_id, form.values(), user_id=current_user.id)
        except InvalidInputError as failure:
            error = put_errors(form, failure, _("Please correct the marked fields. Nothing was saved."))
        else:
            flash(_("The vote is saved."), "success")
            return redirect(url_for("admin.vote", vote_id=vote_id), 303)
    return render_template("admin/vote.html", event=shown.event, vote=shown, form=form, error=error,
                           results=service.results(shown), state=service.state(shown)), 422 if error else 200


@bp.route(f"/votes/{_ID.format('vote_id')}/export.csv")
def vote_export(vote_id):
    """Every ballot as CSV: when, the film, the stars (no voter: a vote is the voter's own)."""
    shown = db.get_or_404(Vote, vote_id)
    tz = shown.event.tz
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["cast_at", "film", "screening_starts_at", "rating", "person_of_ticket"])
    for row in service.ballot_rows(shown):
        writer.writerow([row.created_at.astimezone(tz).isoformat(timespec="seconds"), neutralize(row.title),
                         row.starts_at.astimezone(tz).isoformat(timespec="minutes"),
                         "" if row.rating is None else row.rating, row.seat])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="vote-{vote_id}.csv"'})

