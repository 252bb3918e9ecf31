"""The audience's vote, for those let in at the door: from the ticket's page, or from the vote's
page shown on the cinema screen (which asks for the ticket's short code); and the projector page
with the results as they come (services/votes.py)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..errors import InvalidInputError, TicketingError
from ..extensions import db
from ..models import Vote
from ..security import limit_link_lookups
from ..services import booking, tickets, votes
from . import bp
from .forms import BallotForm, whole_number

_ID = "<int(max=2147483647):vote_id>"
# The projector page reads itself again this often (static/vote-screen.js).
SCREEN_REFRESH_SECONDS = 5


@bp.route(f"/votes/{_ID}", methods=["GET", "POST"])
@limit_link_lookups
def vote(vote_id):
    """The vote as the cinema screen's QR code opens it: the ticket's short code, then the vote."""
    return _vote_page(_vote_or_404(vote_id), None)


@bp.route(f"/r/<secret>/votes/{_ID}", methods=["GET", "POST"])
@limit_link_lookups
def ticket_vote(secret, vote_id):
    """The vote opened from a ticket's page: no code to type."""
    shown = _vote_or_404(vote_id)
    try:
        registration = booking.find_by_secret(secret)
    except TicketingError:
        abort(404)
    return _vote_page(shown, registration)


def _vote_or_404(vote_id):
    shown = db.get_or_404(Vote, vote_id)
    if not shown.event.is_published:
        abort(404)
    return shown


def _vote_page(shown, registration):
    form = BallotForm()
    form.choice.choices = _choices(shown)
    ticket = registration.ticket if registration is not None else None
    error = None
    if request.method == "POST":
        if not form.validate():
            error = _("This form had expired. Please vote again.")
        else:
            if registration is None:
                # Only tickets let in are found: a wrong code, and the code of a ticket not let in,
                # get the same answer, a 404 that counts against the client's budget of failed
                # look-ups of private links (security.limit_link_lookups: guessing is throttled).
                ticket = votes.ticket_by_short_code(shown, form.code.data)
                if ticket is None:
                    form.code.errors = [_("No ticket let in at this vote's screenings has this code: it is printed "
                                          "under the ticket's QR code, such as ABCD-EFGH.")]
            if ticket is not None:
                try:
                    cast = votes.cast(shown.id, ticket.id, whole_number(form.choice.data, 10))
                except InvalidInputError as failure:
                    form.choice.errors = [str(message) for message in failure.fields.values()]
                except TicketingError as failure:
                    error = str(failure.message)
                else:
                    flash(_thanks(cast), "success")
                    back = url_for("public.vote", vote_id=shown.id) if registration is None else \
                        url_for("public.ticket_vote", secret=registration.secret, vote_id=shown.id)
                    return redirect(back, 303)
    from_ticket = registration is not None and ticket is not None
    may_vote = votes.may_vote(shown, ticket) if from_ticket else True
    left = votes.ballots_left(shown, ticket) if from_ticket else None
    status = 404 if form.code.errors else 422 if (error or form.choice.errors) else 200
    return render_template("public/vote.html", vote=shown, form=form, error=error, registration=registration,
                           state=votes.state(shown), left=left, may_vote=may_vote,
                           films=votes.screenings_of(shown)), status


def _choices(shown):
    if shown.kind == votes.RATING:
        return [(str(n), ngettext("%(num)d star", "%(num)d stars", n)) for n in votes.STARS]
    return [(str(s.id), s.title) for s in votes.screenings_of(shown)]


def _thanks(cast):
    if cast.left:
        return ngettext("Thank you for your vote! %(num)d more person let in on this ticket may vote.",
                        "Thank you for your vote! %(num)d more people let in on this ticket may vote.", cast.left)
    return _("Thank you for your vote!")


@bp.route(f"/votes/{_ID}/screen")
def vote_screen(vote_id):
    """The projector page: the vote's QR code and its results as they come (a script reads the
    page again every few seconds), in large type; for admins, or for anyone when the organizer
    made its results public."""
    shown = _vote_or_404(vote_id)
    if not shown.results_public and not (current_user.is_authenticated and current_user.is_admin):
        abort(404)
    link = url_for("public.vote", vote_id=shown.id, _external=True)
    response = render_template("public/vote_screen.html", vote=shown, link=link, qr_svg=tickets.render_qr_svg(link),
                               results=votes.results(shown), state=votes.state(shown),
                               refresh=SCREEN_REFRESH_SECONDS)
    return response, 200, {"Cache-Control": "no-store"}
