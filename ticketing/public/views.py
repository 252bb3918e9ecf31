"""Views of the public pages: parse, call one service, redirect or re-render."""
import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext

from ..errors import AlreadyCancelledError, InvalidInputError, NotFoundError, TicketingError
from ..extensions import db
from ..formatting import local_date, local_datetime, local_time
from ..models import Event, Screening, utcnow
from ..security import limit_link_lookups, limit_signups, limit_ticket_finds
from ..services import (booking, calendar, colours, find_tickets, holds, pdf_tickets, pictures, programme, questions,
                         reminders, tickets, votes)
from . import bp, sharing
from ..urls import local_path
from .forms import ConfirmForm, FindTicketForm, FreeSeatsForm, SignupForm, whole_number


@bp.route("/language/<code>")
def language(code):
    """Remember the reader's language for a year and go back to the page they were on."""
    back = local_path(request.args.get("next"), url_for("public.index"))
    response = redirect(back, 303)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            current_app.config["LANGUAGE_COOKIE"], code, max_age=365 * 24 * 3600,
            samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False), httponly=True,
        )
    return response


@bp.route("/")
def index():
    """Show the festival, or the list of festivals when there are several."""
    events = db.session.scalars(sa.select(Event).where(Event.is_published).order_by(Event.id)).all()
    if len(events) == 1:
        return redirect(url_for("public.event", slug=events[0].slug))
    return render_template("public/index.html", events=events)


@bp.route("/e/<slug>")
def event(slug):
    """Show a festival's programme: its screenings by day, filtered by day, language and venue."""
    if "\x00" in slug:  # no slug holds one, and PostgreSQL refuses it in a query
        abort(404)
    festival = db.first_or_404(sa.select(Event).where(Event.slug == slug, Event.is_published))
    wanted = {name: request.args.get(name, "") for name in ("day", "language", "venue")}
    return render_template("public/event.html", event=festival, programme=programme.programme(festival, **wanted))


@bp.route("/screenings/<int(max=2147483647):screening_id>", methods=["GET", "POST"])
@limit_signups
def screening(screening_id):
    """Show a screening and its sign-up form; book on a valid submission."""
    form = SignupForm()
    form_error = None
    answers, answer_errors = questions.typed(request.form), {}
    if request.method == "POST":
        if not form.validate():  # only CSRF is checked here; the service checks the fields
            form_error = _(
                "This form had expired. Your entries are kept: please press Register again."
            )
        else:
            try:
                result = booking.book(
                    screening_id,
                    form.name.data,
                    form.email.data,
                    form.seats.data,
                    locale=str(get_locale()),
                    form_key=form.ensure_form_key(),
                    answers=answers,
                )
            except NotFoundError:
                abort(404)
            except InvalidInputError as error:
                for name, message in error.fields.items():
                    if name in form:
                        form[name].errors = [message]
                    else:  # an organizer's question (questions.py)
                        answer_errors[name] = message
                form_error = str(error.message)
            except TicketingError as error:
                form_error = str(error.message)
            else:
                return _after_booking(result)
    shown = db.get_or_404(Screening, screening_id)
    if not shown.is_visible:  # unpublished, or its event is
        abort(404)
    form.ensure_form_key()
    return (
        render_template(
            "public/screening.html",
            screening=shown,
            availability=booking.availability(shown),
            form=form,
            error_message=form_error,
            questions=questions.asked(shown.id),
            answers_typed=answers,
            answer_errors=answer_errors,
        ),
        422 if form_error else 200,
    )


def _after_booking(result):
    if result.outcome == "repeat":
        return redirect(url_for("public.sent", screening_id=result.registration.screening_id), 303)
    if result.registration.is_held:  # no flash: the page itself says where to look
        return redirect(url_for("public.registration", secret=result.registration.secret), 303)
    if result.registration.status == booking.WAITLISTED:
        flash(_("You are on the waiting list. We will e-mail you if a seat frees up."), "info")
    else:
        flash(_("You are registered. Here is your ticket."), "success")
    return redirect(url_for("public.registration", secret=result.registration.secret), 303)


@bp.route("/screenings/<int(max=2147483647):screening_id>/sent")
def sent(screening_id):
    """Say that the ticket was e-mailed again, showing nothing about the booking (R6); a screening
    the public cannot see is not named here either."""
    shown = db.get_or_404(Screening, screening_id)
    if not shown.is_visible:
        abort(404)
    return render_template("public/sent.html", screening=shown)


@bp.route("/find-my-ticket", methods=["GET", "POST"])
@limit_ticket_finds
def find_ticket():
    """Find my ticket: e-mail an address the links of its bookings; the answer is the same
    whether or not it holds any."""
    form = FindTicketForm()
    error = None  # the form's own trouble; the address's is told next to its field
    if request.method == "POST":
        if not form.validate():
            error = _("This form had expired. Please press Send my tickets again.")
        else:
            try:
                find_tickets.request_links(form.email.data, str(get_locale()))
            except InvalidInputError as failure:
                form.email.errors = [failure.fields["email"]]
            else:
                return redirect(url_for("public.find_ticket_sent"), 303)
    status = 422 if error or form.email.errors else 200
    return render_template("public/find_ticket.html", form=form, error=error), status


@bp.route("/find-my-ticket/sent")
def find_ticket_sent():
    """The one answer to a Find my ticket request."""
    return render_template("public/find_ticket_sent.html")


def _registration_or_404(secret):
    try:
        return booking.find_by_secret(secret)
    except NotFoundError:
        abort(404)


@bp.after_request
def _private_pages(response):
    """A registration's pages (its secret link) are one person's: no shared cache (a proxy, a
    CDN) may keep them; the person's own browser may, so that the ticket opens without a network."""
    if request.url_rule is not None and request.url_rule.rule.startswith("/r/"):
        response.headers.setdefault("Cache-Control", "private")
    return response


@bp.route("/r/<secret>")
@limit_link_lookups
def registration(secret):
    """The self-service page: the ticket, the waiting-list place, a way to cancel; while the
    booking waits for its e-mail address to be confirmed, where to look (holds.py)."""
    found = _registration_or_404(secret)
    position = booking.waitlist_position(found) if found.status == booking.WAITLISTED else None
    ticket = found.ticket
    hold_over = holds.ran_out(found)
    return render_template(
        "public/registration.html",
        registration=found,
        screening=found.screening,
        ticket=ticket,
        hold_over=hold_over,
        hold_ends=local_time(found.hold_until, found.screening.event.tz) if found.is_held else "",
        qr_svg=tickets.render_qr_svg(ticket.code) if found.has_ticket else None,
        short_code=tickets.short_code(ticket.code),
        position=position,
        can_cancel=not hold_over and booking.cancel_refusal(found) is None,
        open_votes=_open_votes(found),
    )


def _open_votes(registration):
    """The votes open now that this ticket may still vote in (after the film, once let in)."""
    ticket = registration.ticket
    if not registration.has_ticket or ticket is None or ticket.admitted <= 0:
        return []
    return [(vote, left) for vote in votes.open_votes_for(ticket) if (left := votes.ballots_left(vote, ticket))]


@bp.route("/r/<secret>/confirm/<token>")
@limit_link_lookups
def confirm_booking(secret, token):
    """The link in a held booking's e-mail: confirm it, then show its page (holds.py). A link
    followed again, or late, shows the page as it stands."""
    found = _registration_or_404(secret)
    try:
        done = holds.confirm(found.id, token)
    except NotFoundError:
        abort(404)
    if done.outcome == "confirmed":
        if done.registration.status == booking.WAITLISTED:
            flash(_("Your booking is confirmed. You are on the waiting list: we will e-mail you if a seat frees up."), "info")
        else:
            flash(_("Your booking is confirmed. Here is your ticket; it is on its way by e-mail too."), "success")
    return redirect(url_for("public.registration", secret=secret), 303)


@bp.route("/r/<secret>/ticket.png")
@limit_link_lookups
def ticket_png(secret):
    """Download the ticket's QR code as a PNG image."""
    found = _registration_or_404(secret)
    if not found.has_ticket:
        abort(404)
    png = tickets.render_qr_png(found.ticket.code)
    response = Response(png, mimetype="image/png")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ticket-{tickets.short_code(found.ticket.code)}.png"'
    )
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.route("/r/<secret>/ticket.pdf")
@limit_link_lookups
def ticket_pdf(secret):
    """Download the ticket as a one-page PDF, to keep on a phone or print."""
    found = _registration_or_404(secret)
    if not found.has_ticket:
        abort(404)
    link = url_for("public.registration", secret=secret, _external=True)
    pdf = pdf_tickets.render_ticket_pdf(found, link=link, locale=str(get_locale()))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ticket-{tickets.short_code(found.ticket.code)}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-cache"  # the time or the hall may change
    return response


@bp.route("/r/<secret>/calendar.ics")
@limit_link_lookups
def ticket_ics(secret):
    """Download the registration's screening as a calendar file (.ics)."""
    found = _registration_or_404(secret)
    # Served in every state: a cancelled registration's file says CANCELLED, which removes the
    # screening from a calendar that imported it before.
    ics = calendar.render_ics(found, url_for("public.registration", secret=secret, _external=True))
    response = Response(ics, mimetype="text/calendar")  # Flask adds "; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{calendar.filename(found)}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/r/<secret>/cancel", methods=["GET", "POST"])
@limit_link_lookups
def cancel(secret):
    """Ask for confirmation, then cancel the registration."""
    found = _registration_or_404(secret)
    form = ConfirmForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = _("This form had expired. Please confirm again.")
        else:
            try:
                booking.cancel(found.id)
            except AlreadyCancelledError:
                pass  # a second click: the result is the same
            except TicketingError as failure:
                error = str(failure.message)
            else:
                flash(_("Your registration is cancelled. Thank you for freeing your seat."), "info")
            if error is None:
                return redirect(url_for("public.registration", secret=secret), 303)
    return (
        render_template(
            "public/cancel.html",
            registration=found,
            screening=found.screening,
            form=form,
            error=error,
        ),
        422 if error else 200,
    )


@bp.route("/r/<secret>/free", methods=["GET", "POST"])
@limit_link_lookups
def free_seats(secret):
    """The reminder's "Can't come? Free your seats": all of them, or some of a group ticket's;
    they go to the waiting list at once (services/reminders.py)."""
    found = _registration_or_404(secret)
    form = FreeSeatsForm()
    error = None
    if request.method == "POST":
        seen = whole_number(form.seats_seen.data, 3)
        if not form.validate() or seen is None:
            error = _("This form had expired. Please confirm again.")
        else:
            try:
                freed = reminders.free_seats(found.id, whole_number(form.seats.data, 3), seen)
            except AlreadyCancelledError:
                return redirect(url_for("public.registration", secret=secret), 303)
            except InvalidInputError as failure:
                form.seats.errors = [str(message) for message in failure.fields.values()]
            except TicketingError as failure:
                error = str(failure.message)
            else:
                flash(_freed_words(freed), "info")
                return redirect(url_for("public.registration", secret=secret), 303)
    left = reminders.freeable(found)
    form.seats.choices = [(str(n), _seats_choice(n, found.seats)) for n in range(1, left + 1)]
    form.seats_seen.data = str(found.seats)
    if request.method == "GET" or form.seats.data not in {value for value, _label in form.seats.choices}:
        form.seats.data = str(left)  # all they may free: the usual case, "I cannot come"
    started = utcnow() >= found.screening.starts_at
    return render_template("public/free_seats.html", registration=found, screening=found.screening,
                           form=form, error=error, left=left, started=started), 422 if error or form.seats.errors else 200


def _seats_choice(seats, held):
    if seats == held:
        return ngettext("All %(num)d seat: nobody can come (cancels my registration)",
                        "All %(num)d seats: nobody can come (cancels my registration)", seats)
    return ngettext("%(num)d seat: the ticket then admits %(left)d", "%(num)d seats: the ticket then admits %(left)d",
                    seats, left=held - seats)


def _freed_words(freed):
    if not freed.seats:
        return _("Those seats were freed already.")
    if freed.cancelled:
        return ngettext("Thank you: your %(num)d seat goes to someone else, and your registration is cancelled.",
                        "Thank you: your %(num)d seats go to others, and your registration is cancelled.", freed.seats)
    return ngettext("Thank you: you freed %(num)d seat; your ticket now admits %(left)d.",
                    "Thank you: you freed %(num)d seats; your ticket now admits %(left)d.",
                    freed.seats, left=freed.registration.seats)


# A picture's name changes with its image, so a browser may keep it for a year unasked.
POSTER_CACHE = "public, max-age=31536000, immutable"


@bp.route("/posters/<name>")
def poster(name):
    """Serve an uploaded picture (a poster, a festival's cover or logo), cached for a year, with an ETag."""
    path = pictures.picture_path(name)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=pictures.mimetype(name), conditional=True, etag=True, max_age=31536000)
    response.headers["Cache-Control"] = POSTER_CACHE
    return response


@bp.app_template_global()
def poster_size(name):
    """(width, height) of a stored picture for its img tag, or None if there is none."""
    return pictures.picture_size(name) if name else None


@bp.route("/theme/<colour>.css")
def theme(colour):
    """The style sheet of a festival's colour (`colour`: six hex digits): its name is its content,
    so it is cached for a year. A colour the festival form would refuse is not served."""
    parsed = colours.parse(colour) if len(colour) == 6 else None
    if parsed is None or parsed[1:] != colour or not colours.passes(parsed):
        abort(404)
    return Response(colours.theme_css(parsed), mimetype="text/css", headers={"Cache-Control": POSTER_CACHE})


# What a shared link shows (issue 19): the site's icons, its manifest, and the card beside a link.
ICON_CACHE = "public, max-age=86400"
CARD_CACHE = "public, max-age=3600"


@bp.route("/favicon.ico")
def favicon():
    """The site's icon for a browser's tab, at 16, 32 and 48 pixels."""
    return Response(sharing.favicon_ico(), mimetype="image/x-icon", headers={"Cache-Control": ICON_CACHE})


@bp.route("/icon-<int:size>.png")
def icon(size):
    """The site's icon as a PNG (home screens, the manifest), drawn like static/icon.svg."""
    if size not in sharing.ICON_SIZES:
        abort(404)
    return Response(sharing.icon_png(size), mimetype="image/png", headers={"Cache-Control": ICON_CACHE})


@bp.route("/manifest.webmanifest")
def manifest():
    """The public site's web app manifest: its name, colour and icons."""
    events = db.session.scalars(sa.select(Event.name).where(Event.is_published).order_by(Event.id).limit(2)).all()
    name = events[0] if len(events) == 1 else _("Festival tickets")
    icons = [{"src": url_for("static", filename="icon.svg"), "sizes": "any", "type": "image/svg+xml"}]
    icons += [{"src": url_for("public.icon", size=size), "sizes": f"{size}x{size}", "type": "image/png"}
              for size in (192, 512)]
    response = current_app.json.response({
        "name": name, "short_name": name[:12], "lang": str(get_locale()), "start_url": url_for("public.index"),
        "display": "browser", "theme_color": sharing.ACCENT, "background_color": "#ffffff", "icons": icons,
    })
    response.mimetype = "application/manifest+json"
    return response


def _card(festival, contents, cover=None):
    """The card as an answer, in the language its link names (`?lang=`, the page's), in the
    festival's colour: `contents()` gives, in that language, the kicker, the title, the lines
    below it and the poster's path."""
    language = request.args.get("lang")
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        kicker, title, details, poster = contents()
        png = sharing.card_png(current_app.config["TICKET_FONT_DIR"], kicker, title, tuple(d for d in details if d),
                               str(poster) if poster else None, festival.accent or sharing.ACCENT,
                               str(cover) if cover else None)
    return Response(png, mimetype="image/png", headers={"Cache-Control": CARD_CACHE})


@bp.route("/e/<slug>/card.png")
def event_card(slug):
    """The image beside a shared link to a festival: its name, its days and venue."""
    if "\x00" in slug:
        abort(404)
    festival = db.first_or_404(sa.select(Event).where(Event.slug == slug, Event.is_published))
    starts = db.session.scalars(sa.select(Screening.starts_at).where(
        Screening.event_id == festival.id, Screening.is_published).order_by(Screening.starts_at)).all()

    def contents():
        days = dict.fromkeys(local_date(moment, festival.tz) for moment in (starts[:1] + starts[-1:]))
        return _("Festival tickets"), festival.name, [" – ".join(days), festival.venue], None

    return _card(festival, contents, pictures.picture_path(festival.cover) if festival.cover else None)


@bp.route("/screenings/<int(max=2147483647):screening_id>/card.png")
def screening_card(screening_id):
    """The image beside a shared link to a screening: the film, its day and time, the venue,
    and its poster."""
    shown = db.get_or_404(Screening, screening_id)
    if not shown.is_visible:
        abort(404)
    poster = pictures.picture_path(shown.poster) if shown.poster else None
    return _card(shown.event, lambda: (shown.event.name, shown.title,
                          [local_datetime(shown.starts_at, shown.event.tz), shown.display_venue], poster))
