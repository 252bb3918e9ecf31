"""Back office: who signed up for a screening or an event, a registration's page and its actions,
and guests added by hand."""
import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import get_locale, ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..errors import InvalidInputError, TicketingError
from ..extensions import db
from ..formatting import languages, local_datetime
from ..formerrors import put_errors
from ..models import Event, Registration, Screening
from ..services import attendees, booking, checkin, guests, questions, tickets
from . import bp
from .attendee_forms import AttendeeFilterForm, CancelForm, CheckInForm, GuestForm, MoveForm, ResendForm
from .people import ACTIONS, readable

PAGE_SIZE = 50
EXPIRED = _l("This form had expired. Please try again.")


def _list_page(screening_ids, template_values):
    """Read the toolbar's values, fetch one page, render the list (422 for a bad search)."""
    form = AttendeeFilterForm(request.args)
    args = request.args
    error_fields, page = {}, attendees.AttendeePage([], 0)
    try:
        page = attendees.list_registrations(
            screening_ids, q=args.get("q", ""), status=args.get("status", ""), source=args.get("source", ""),
            sort=args.get("sort", ""), after=args.get("after") or None, before=args.get("before") or None,
            limit=PAGE_SIZE,
        )
    except InvalidInputError as failure:
        error_fields = failure.fields
        for name, message in failure.fields.items():
            if name in form:
                form[name].errors = [message]
    kept = {key: args.get(key) for key in ("q", "status", "source", "sort") if args.get(key) and key not in error_fields}
    base = dict(request.view_args, **kept)
    links = {
        "previous": url_for(request.endpoint, **base, before=page.previous_cursor) if page.previous_cursor else None,
        "first": url_for(request.endpoint, **base) if args.get("after") or args.get("before") else None,
        "next": url_for(request.endpoint, **base, after=page.next_cursor) if page.next_cursor else None,
    }
    screenings = {s.id: s for s in db.session.scalars(sa.select(Screening).where(Screening.id.in_(screening_ids)))}
    return render_template(
        "admin/attendees.html", form=form, page=page, kept=kept, links=links, screenings=screenings,
        page_error=error_fields.get("page"), **template_values,
    ), 422 if error_fields else 200


@bp.route("/screenings/<int(max=2147483647):screening_id>/attendees", endpoint="attendees")
def screening_attendees(screening_id):
    """The attendees of one screening: search, filters, sort, keyset pages."""
    screening = db.get_or_404(Screening, screening_id)
    return _list_page([screening.id], {"screening": screening, "event": screening.event})


@bp.route("/events/<int(max=2147483647):event_id>/attendees")
def event_attendees(event_id):
    """The attendees of every screening of an event, with a screening column."""
    event = db.get_or_404(Event, event_id)
    return _list_page([s.id for s in event.screenings], {"screening": None, "event": event})


def _registration_or_404(registration_id):
    return db.get_or_404(Registration, registration_id)


def _other_screenings(registration):
    return [
        s for s in registration.screening.event.screenings
        if s.id != registration.screening_id and not s.is_cancelled
    ]


def _render_registration(registration, error=None, status=200, forms=None):
    forms = forms or {}
    move_form = forms.get("move") or MoveForm()
    move_form.to_screening.choices = [
        SelectChoice(str(s.id), f"{s.title} · {local_datetime(s.starts_at, s.event.tz)}")
        for s in _other_screenings(registration)
    ]
    checkin_form = forms.get("checkin") or CheckInForm()
    ticket = registration.ticket
    if ticket is not None and not checkin_form.seats.data:
        checkin_form.seats.data = str(max(ticket.seats - ticket.admitted, 1))
    return render_template(
        "admin/registration.html", registration=registration, screening=registration.screening,
        ticket=ticket, qr_svg=tickets.render_qr_svg(ticket.code) if ticket else "",
        short_code=tickets.short_code(ticket.code) if ticket else "",
        history=_history(registration.id), error=error,
        resend_form=ResendForm(), cancel_form=CancelForm(), move_form=move_form, checkin_form=checkin_form,
        can_cancel=booking.cancel_refusal(registration) is None,
        answers=questions.answers_of(registration.id),
    ), status


def _history(registration_id):
    """The registration's history, its audit entries and their details in the reader's words."""
    items = attendees.registration_history(registration_id)
    for item in items:
        if item.kind == "audit":
            item.text = ACTIONS.get(item.text, item.text)
    return [(item, readable(item.details)) for item in items]


@bp.route("/registrations/<int(max=2147483647):registration_id>")
def registration(registration_id):
    """One registration: its ticket, details, history and actions."""
    return _render_registration(_registration_or_404(registration_id))


def _act(registration_id, form, action, success, forms=None):
    """Run one action on a registration: 303 back with a flash, or the page again with 422."""
    registration = _registration_or_404(registration_id)
    if not form.validate():
        return _render_registration(registration, str(EXPIRED), 422, forms)
    try:
        message = action(registration)
    except InvalidInputError as failure:
        message = " ".join(failure.fields.values())
        db.session.rollback()
        return _render_registration(db.session.get(Registration, registration_id), message, 422, forms)
    except TicketingError as failure:
        db.session.rollback()
        return _render_registration(db.session.get(Registration, registration_id), str(failure.message), 422, forms)
    flash(message or success, "success")
    return redirect(url_for("admin.registration", registration_id=registration_id), 303)


@bp.route("/registrations/<int(max=2147483647):registration_id>/resend", methods=["POST"])
def registration_resend(registration_id):
    """Queue the ticket e-mail again."""
    return _act(registration_id, ResendForm(),
                lambda r: guests.resend_ticket(r.id, user_id=current_user.id) and None,
                _("The ticket e-mail is queued and will be sent shortly."))


@bp.route("/registrations/<int(max=2147483647):registration_id>/cancel", methods=["POST"])
def registration_cancel(registration_id):
    """Cancel a registration as the organizer; its seats go to the waiting list."""

    def cancel(registration):
        result = booking.cancel(registration.id, reason="organizer", user_id=current_user.id)
        if result.promoted:
            return ngettext("The registration is cancelled; %(num)d from the waiting list got a seat.",
                            "The registration is cancelled; %(num)d from the waiting list got a seat.",
                            len(result.promoted))
        return None

    return _act(registration_id, CancelForm(), cancel,
                _("The registration is cancelled. The attendee is told by e-mail."))


@bp.route("/registrations/<int(max=2147483647):registration_id>/move", methods=["POST"])
def registration_move(registration_id):
    """Move a registration to another screening of its event."""
    form = MoveForm()

    def move(registration):
        allowed = {str(s.id) for s in _other_screenings(registration)}
        if form.to_screening.data not in allowed:
            raise InvalidInputError({"to_screening": _("Please choose one of the other screenings of this event.")})
        moved = guests.move(registration.id, int(form.to_screening.data), user_id=current_user.id)
        return _("Moved to %(title)s, %(when)s.", title=moved.screening.title,
                 when=local_datetime(moved.screening.starts_at, moved.screening.event.tz))

    return _act(registration_id, form, move, _("Moved."), {"move": form})


@bp.route("/registrations/<int(max=2147483647):registration_id>/checkin", methods=["POST"])
def registration_checkin(registration_id):
    """Check a registration in by hand (logged like a scan at the door)."""
    form = CheckInForm()

    def admit(registration):
        text = (form.seats.data or "").strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 4 and int(text) >= 1):
            raise InvalidInputError({"seats": _("People to admit must be a whole number from 1.")})
        verdict = checkin.check_in(registration.ticket.code, registration.screening_id, int(text), user_id=current_user.id)
        if verdict.result != checkin.ADMITTED:
            raise TicketingError(str(checkin.MESSAGES.get((verdict.result, verdict.reason), verdict.reason)))
        return _("Checked in: %(now)d admitted (%(admitted)d of %(seats)d in).", now=verdict.admitted_now,
                 admitted=verdict.ticket["admitted"], seats=verdict.ticket["seats"])

    return _act(registration_id, form, admit, _("Checked in."), {"checkin": form})


@bp.route("/screenings/<int(max=2147483647):screening_id>/guests/new", methods=["GET", "POST"])
def guest_new(screening_id):
    """Add a guest by hand (press, partners): confirmed at once, from the held seats first."""
    screening = db.get_or_404(Screening, screening_id)
    form = GuestForm()
    form.language.choices = languages()
    if request.method == "GET":
        form.language.data = str(get_locale())  # the organizer's language, unless changed
    error = None
    if request.method == "POST":
        if not form.validate():
            error = str(EXPIRED)
        else:
            try:
                added = guests.add_guest(screening.id, form.name.data, form.email.data, form.seats.data,
                                         form.note.data, user_id=current_user.id, language=form.language.data)
            except InvalidInputError as failure:
                error = put_errors(form, failure)
            except TicketingError as failure:
                put_errors(form, failure)
                error = str(failure.message)
            else:
                flash(_("%(name)s is added as a guest.", name=added.name), "success")
                return redirect(url_for("admin.registration", registration_id=added.id), 303)
        db.session.rollback()
        screening = db.session.get(Screening, screening_id)
    return render_template("admin/guest_form.html", screening=screening, form=form, error=error), 422 if error else 200
