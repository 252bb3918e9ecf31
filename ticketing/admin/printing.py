"""Back office: every confirmed ticket of a screening as one PDF, to print."""
from flask import Response, abort, flash, redirect, url_for
from flask_babel import get_locale

from ..errors import NotFoundError
from ..services import pdf_tickets
from . import bp


@bp.get("/screenings/<int(max=2147483647):screening_id>/tickets.pdf")
def screening_tickets_pdf(screening_id):
    """Download one page per confirmed ticket of a screening, sorted by name."""
    try:
        pdf = pdf_tickets.render_screening_pdf(
            screening_id,
            link_for=lambda secret: url_for("public.registration", secret=secret, _external=True),
            locale=str(get_locale()),  # printed for the door: in the organizer's language
        )
    except NotFoundError:
        abort(404)
    except pdf_tickets.NothingToPrintError as failure:
        flash(str(failure.message), "info")
        return redirect(url_for("admin.attendees", screening_id=screening_id), 303)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="tickets-screening-{screening_id}.pdf"'
    response.headers["Cache-Control"] = "no-store"  # names and ticket codes: no copies in caches
    return response
