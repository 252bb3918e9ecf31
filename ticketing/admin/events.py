"""Back office: events and their screenings, publishing, cancelling, posters, a festival's logo
and cover."""
import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BuildError

from ..errors import InvalidInputError, NotFoundError, ScreeningCancelledError
from ..extensions import db
from ..formerrors import put_errors
from ..models import Event, Screening
from ..services import checkin, events as service, pictures
from ..services.event_inputs import time_zones
from ..urls import local_path
from . import bp
from .event_forms import CancelScreeningForm, CoverForm, EventForm, LogoForm, PosterForm, PublishForm, ScreeningForm

_ID = "<int(max=2147483647):{}>"
EXPIRED = _l("This form had expired. Your entries are kept: please save again.")


def link_if(endpoint, **values):
    """A URL for `endpoint` if another area of the back office has built it, else None."""
    if endpoint in current_app.view_functions:
        try:
            return url_for(endpoint, **values)
        except BuildError:  # its URL takes other values than we know
            return None
    return None


def _event_or_404(event_id):
    return db.get_or_404(Event, event_id)


def _screening_or_404(screening_id):
    return db.get_or_404(Screening, screening_id)


@bp.route("/")
def events():
    """List the events with their screenings and how full each is."""
    listed = db.session.scalars(sa.select(Event).order_by(Event.id)).all()
    return render_template(
        "admin/events.html", events=listed, counts=checkin.screening_counts(),
        publish_form=PublishForm(), link_if=link_if,
    )


@bp.route("/events/new", methods=["GET", "POST"])
def event_new():
    """Create an event."""
    form = EventForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = str(EXPIRED)
        else:
            try:
                created = service.create_event(user_id=current_user.id, **form.values())
            except InvalidInputError as failure:
                error = put_errors(form, failure, _("Please correct the marked fields. Nothing was saved."))
            else:
                flash(_("The event %(name)s is created. Now add its screenings.", name=created.name), "success")
                return redirect(url_for("admin.event", event_id=created.id), 303)
    return _event_page("admin/event_form.html", form, error, event=None)


def _event_page(template, form, error, **context):
    return render_template(template, form=form, error=error, time_zones=sorted(time_zones().values()),
                           **context), 422 if error else 200


@bp.route(f"/events/{_ID.format('event_id')}", methods=["GET", "POST"])
def event(event_id):
    """Edit an event; list its screenings."""
    shown = _event_or_404(event_id)
    form = EventForm()
    error = None
    if request.method == "GET":
        form.fill_from(shown)
    elif not form.validate():
        error = str(EXPIRED)
    else:
        try:
            service.update_event(event_id, user_id=current_user.id, **form.values())
        except InvalidInputError as failure:
            error = put_errors(form, failure, _("Please correct the marked fields. Nothing was saved."))
        else:
            flash(_("The event is saved."), "success")
            return redirect(url_for("admin.event", event_id=event_id), 303)
    return _event_view(shown, form, error)


def _event_view(shown, form, error, forms=None, status=None):
    """The event's page: its screenings, its form, its look (logo and cover forms, as given)."""
    db.session.refresh(shown)
    page, code = _event_page(
        "admin/event.html", form, error, event=shown, publish_form=PublishForm(),
        counts=checkin.screening_counts([s.id for s in shown.screenings]), link_if=link_if,
        picture_forms={"logo": LogoForm(formdata=None), "cover": CoverForm(formdata=None), **(forms or {})},
        picture_sizes={kind: pictures.picture_size(getattr(shown, kind)) for kind in ("logo", "cover")},
    )
    return page, status or code


_PICTURES = {"logo": (pictures.LOGO, LogoForm), "cover": (pictures.COVER, CoverForm)}


@bp.route(f"/events/{_ID.format('event_id')}/<any(logo, cover):kind>", methods=["POST"])
def event_picture(event_id, kind):
    """Upload the festival's logo or cover image, or remove it."""
    shown = _event_or_404(event_id)
    picture, form_class = _PICTURES[kind]
    request.max_content_length = pictures.MAX_BYTES + 256 * 1024  # as a poster's upload
    form = EventForm(formdata=None)
    form.fill_from(shown)

    def again(upload_form, message, status=422):
        upload_form[kind].errors = [message]
        return _event_view(shown, form, None, {kind: upload_form}, status)

    try:
        upload_form = form_class()
        valid = upload_form.validate()
    except RequestEntityTooLarge:
        return again(form_class(formdata=None), _("This file is larger than %(n)d MB. Please upload a smaller image.",
                                                   n=pictures.MAX_BYTES // (1024 * 1024)), 413)
    if not valid:
        return again(upload_form, _("This form had expired. Please try again."))
    try:
        if upload_form.remove.data:
            pictures.remove_event_picture(event_id, picture, user_id=current_user.id)
            flash(_("The logo is removed.") if kind == "logo" else _("The cover image is removed."), "info")
        else:
            pictures.save_event_picture(event_id, picture, upload_form[kind].data, user_id=current_user.id)
            flash(_("The logo is saved.") if kind == "logo" else _("The cover image is saved."), "success")
    except InvalidInputError as failure:
        return again(upload_form, failure.fields.get(kind))
    return redirect(url_for("admin.event", event_id=event_id) + "#look-heading", 303)


def _published_value():
    """The publish form's value: True to publish, False to unpublish; 400 for anything else."""
    form = PublishForm()
    if not form.validate() or form.value.data not in ("0", "1"):
        abort(400)
    return form.value.data == "1"


def _back_to(default):
    """Where a button should return to: the page it was pressed on, if it is a back-office page."""
    target = request.form.get("next", "")
    if target.startswith("/admin/") and "//" not in target and local_path(target, None) == target:
        return target
    return default


@bp.route(f"/events/{_ID.format('event_id')}/publish", methods=["POST"])
def event_publish(event_id):
    """Publish or unpublish an event."""
    published = _published_value()
    try:
        changed = service.publish_event(event_id, published, user_id=current_user.id)
    except NotFoundError:
        abort(404)
    if published:
        flash(_("%(name)s is published: the public sees it.", name=changed.name), "success")
    else:
        flash(_("%(name)s is unpublished: only staff see it.", name=changed.name), "info")
    return redirect(_back_to(url_for("admin.event", event_id=event_id)), 303)


@bp.route(f"/events/{_ID.format('event_id')}/screenings/new", methods=["GET", "POST"])
def screening_new(event_id):
    """Add a screening to an event."""
    festival = _event_or_404(event_id)
    form = ScreeningForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = str(EXPIRED)
        else:
            try:
                created = service.create_screening(event_id, user_id=current_user.id, **form.values())
            except InvalidInputError as failure:
                error = put_errors(form, failure, _("Please correct the marked fields. Nothing was saved."))
            else:
                flash(_("The screening %(title)s is saved.", title=created.title), "success")
                return redirect(url_for("admin.event", event_id=event_id), 303)
    return render_template("admin/screening_form.html", form=form, error=error, event=festival,
                           screening=None), 422 if error else 200


@bp.route(f"/screenings/{_ID.format('screening_id')}/edit", methods=["GET", "POST"])
def screening_edit(screening_id):
    """Edit a screening; upload its poster."""
    shown = _screening_or_404(screening_id)
    form = ScreeningForm()
    error = None
    if request.method == "GET":
        form.fill_from(shown)
    elif not form.validate():
        error = str(EXPIRED)
    else:
        try:
            change = service.update_screening(screening_id, user_id=current_user.id, **form.changed_values())
        except InvalidInputError as failure:
            error = put_errors(form, failure, _("Please correct the marked fields. Nothing was saved."))
        else:
            flash(_("The screening is saved."), "success")
            if change.promoted:
                flash(ngettext("%(num)d registration moved from the waiting list to a seat.",
                               "%(num)d registrations moved from the waiting list to a seat.",
                               len(change.promoted)), "info")
            return redirect(url_for("admin.event", event_id=shown.event_id), 303)
    return _screening_page(shown, form, error)


def _screening_page(shown, form, error, poster_form=None, poster_error=None, status=None):
    db.session.refresh(shown)
    poster_form = poster_form or PosterForm()
    if poster_error:
        poster_form.poster.errors = [poster_error]
    return render_template(
        "admin/screening_form.html", form=form, error=error, event=shown.event, screening=shown,
        poster_form=poster_form, poster_error=poster_error,
        poster_dims=pictures.picture_size(shown.poster),
    ), status or (422 if error or poster_error else 200)


@bp.route(f"/screenings/{_ID.format('screening_id')}/publish", methods=["POST"])
def screening_publish(screening_id):
    """Publish or unpublish a screening."""
    published = _published_value()
    try:
        changed = service.publish_screening(screening_id, published, user_id=current_user.id)
    except NotFoundError:
        abort(404)
    if published:
        flash(_("%(title)s is published.", title=changed.title), "success")
    else:
        flash(_("%(title)s is unpublished: only staff see it.", title=changed.title), "info")
    return redirect(_back_to(url_for("admin.event", event_id=changed.event_id)), 303)


@bp.route(f"/screenings/{_ID.format('screening_id')}/cancel", methods=["GET", "POST"])
def screening_cancel(screening_id):
    """Confirm, then cancel a screening: everyone registered is told by e-mail."""
    shown = _screening_or_404(screening_id)
    form = CancelScreeningForm()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = _("This form had expired. Please confirm again.")
        else:
            try:
                told = service.cancel_screening(screening_id, user_id=current_user.id)
            except ScreeningCancelledError:
                flash(_("This screening was cancelled already."), "info")
            else:
                flash(ngettext("The screening is cancelled. %(num)d person will be told by e-mail.",
                               "The screening is cancelled. %(num)d people will be told by e-mail.",
                               told), "success")
            return redirect(url_for("admin.event", event_id=shown.event_id), 303)
    to_tell, without_email = service.cancel_preview(screening_id)
    return render_template("admin/screening_cancel.html", screening=shown, event=shown.event, form=form,
                           error=error, to_tell=to_tell, without_email=without_email), 422 if error else 200


@bp.route(f"/screenings/{_ID.format('screening_id')}/poster", methods=["POST"])
def screening_poster(screening_id):
    """Upload a screening's poster, or remove it."""
    shown = _screening_or_404(screening_id)
    # Posters are larger than any other form: this request alone may carry one (and a little).
    request.max_content_length = pictures.MAX_BYTES + 256 * 1024
    form = ScreeningForm(formdata=None)
    form.fill_from(shown)
    try:
        poster_form = PosterForm()
        valid = poster_form.validate()
    except RequestEntityTooLarge:
        message = _("This file is larger than %(n)d MB. Please upload a smaller image.",
                    n=pictures.MAX_BYTES // (1024 * 1024))
        return _screening_page(shown, form, None, PosterForm(formdata=None), message, status=413)
    if not valid:
        return _screening_page(shown, form, None, poster_form, _("This form had expired. Please try again."))
    try:
        if poster_form.remove.data:
            pictures.remove_poster(screening_id, user_id=current_user.id)
            flash(_("The poster is removed."), "info")
        else:
            pictures.save_poster(screening_id, poster_form.poster.data, user_id=current_user.id)
            flash(_("The poster is saved."), "success")
    except InvalidInputError as failure:
        return _screening_page(shown, form, None, poster_form, failure.fields.get("poster"))
    return redirect(url_for("admin.screening_edit", screening_id=screening_id), 303)
