"""Back office: staff accounts (add, change, deactivate, reset a password) and the audit log."""
import json

import sqlalchemy as sa
from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ..errors import InvalidInputError, LastAdminError, SelfDeactivationError
from ..extensions import db
from ..formerrors import CORRECT, put_errors
from ..models import AuditEntry, Event, User
from ..services import accounts, audit
from ..staff.forms import EndSessionsForm
from ..staff.views import SESSION_KEY
from . import bp
from .people_forms import PasswordResetForm, UserEditForm, UserNewForm

AUDIT_PAGE = 50
EXPIRED = _l("This form had expired. Please try again.")
# What the audit log says for the actions it knows; others show their code.
ACTIONS = {
    "user.create": _l("added a staff account"),
    "user.update": _l("changed a staff account"),
    "user.password_reset": _l("reset a password"),
    "user.sessions_end": _l("ended a staff account's sessions"),
    "device.create": _l("created a door device token"),
    "device.revoke": _l("revoked a door device token"),
    "screening.release": _l("released unclaimed seats"),
    "guests.add": _l("added guests"),
    "registration.move": _l("moved a registration"),
    "registration.resend": _l("resent a ticket"),
    "registration.cancel": _l("cancelled a registration"),
    "event.create": _l("created an event"),
    "event.update": _l("changed an event"),
    "event.publish": _l("published an event"),
    "event.unpublish": _l("unpublished an event"),
    "screening.create": _l("created a screening"),
    "screening.update": _l("changed a screening"),
    "screening.publish": _l("published a screening"),
    "screening.unpublish": _l("unpublished a screening"),
    "screening.cancel": _l("cancelled a screening"),
    "screening.announce": _l("wrote to a screening's attendees"),
    "screening.poster": _l("uploaded a poster"),
    "screening.poster_remove": _l("removed a poster"),
    "event.logo": _l("uploaded a festival's logo"),
    "event.logo_remove": _l("removed a festival's logo"),
    "event.cover": _l("uploaded a festival's cover image"),
    "event.cover_remove": _l("removed a festival's cover image"),
    "outbox.retry": _l("asked to send a message again"),
    "outbox.retry_failed": _l("asked to send every failed message again"),
    "person.export": _l("downloaded a person's data"),
    "person.erase": _l("erased a person's data"),
    "privacy.purge": _l("anonymised the attendees of past screenings"),
    "vote.create": _l("set up an audience vote"),
    "vote.update": _l("changed an audience vote"),
}
SUBJECTS = {
    "users": _l("Staff account"),
    "devices": _l("Door device"),
    "events": _l("Event"),
    "screenings": _l("Screening"),
    "registrations": _l("Registration"),
    "outbox": _l("Message"),
    "votes": _l("Audience vote"),
    "": _l("Nothing in particular"),
}

# The names of the details an entry records, for people; others show their code with spaces.
DETAILS = {
    "announcement": _l("announcement"), "attempts": _l("attempts"), "audience": _l("audience"),
    "cancelled": _l("cancelled"), "changed": _l("changed"), "checkins": _l("door scans"), "count": _l("count"),
    "days": _l("days"), "files": _l("files"), "screenings": _l("screenings"), "email": _l("email"), "event_ids": _l("event ids"),
    "events": _l("events"), "fields": _l("fields"),
    "from_screening": _l("from screening"), "held_seats": _l("held seats"), "is_active": _l("is active"),
    "messages": _l("messages"), "name": _l("name"), "password": _l("password"), "poster": _l("poster"),
    "logo": _l("logo"), "cover": _l("cover image"), "accent": _l("colour"),
    "previous": _l("previous"), "promoted": _l("promoted"), "reason": _l("reason"),
    "registrations": _l("registrations"), "role": _l("role"), "screening_id": _l("screening id"),
    "seats": _l("seats"), "sessions": _l("sessions"), "to_screening": _l("to screening"), "was_given_up": _l("was given up"),
}
# Words for the coded values of some details.
DETAIL_VALUES = {
    "password": {"generated": _l("generated"), "typed": _l("typed")},
    "role": {"admin": _l("admin"), "door": _l("door")},
    "audience": {"confirmed": _l("people with a seat"), "active": _l("people with a seat and the waiting list")},
}


def _event_choices():
    return [SelectChoice(e.id, e.name) for e in db.session.scalars(sa.select(Event).order_by(Event.name, Event.id))]


def _form_error(form):
    return str(EXPIRED) if form.csrf_token.errors else str(CORRECT)


def _shown_once(user, password, created):
    """The answer page with a generated password: shown here once, kept nowhere, not cached."""
    response = make_response(render_template("admin/user_password.html", user=user, password=password, created=created))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/users")
def users():
    """List the staff accounts."""
    listed = db.session.scalars(sa.select(User).options(selectinload(User.events)).order_by(User.email)).all()
    return render_template("admin/users.html", users=listed)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Add a staff account; a password left empty is generated and shown once."""
    form = UserNewForm()
    form.events.choices = _event_choices()
    error = None
    if request.method == "POST":
        if not form.validate():
            error = _form_error(form)
        else:
            try:
                user, generated = accounts.create_user(
                    form.email.data, form.role.data, form.password.data or None,
                    events=form.events.data, by_user_id=current_user.id,
                )
            except InvalidInputError as failure:
                error = put_errors(form, failure)
            else:
                if generated:
                    return _shown_once(user, generated, created=True)
                flash(_("The account %(email)s is added.", email=user.email), "success")
                return redirect(url_for("admin.users"), 303)
    return render_template("admin/user_new.html", form=form, error=error), 422 if error else 200


def _edit_form(user):
    form = UserEditForm(formdata=None, data={
        "role": user.role, "is_active": user.is_active, "events": [e.id for e in user.events]})
    form.events.choices = _event_choices()
    return form


def _edit_page(user, form, password_form, error=None, status=200):
    return render_template(
        "admin/user_edit.html", user=user, form=form, password_form=password_form, error=error,
        open_sessions=accounts.open_sessions(user.id), end_sessions_form=EndSessionsForm(),
    ), status


@bp.route("/users/<int(max=2147483647):user_id>", methods=["GET", "POST"])
def user_edit(user_id):
    """Change an account's role, whether it may log in, and the events of a door user."""
    user = db.get_or_404(User, user_id)
    if request.method == "GET":
        return _edit_page(user, _edit_form(user), PasswordResetForm(formdata=None))
    form = UserEditForm()
    form.events.choices = _event_choices()
    if not form.validate():
        return _edit_page(user, form, PasswordResetForm(formdata=None), _form_error(form), 422)
    was_active = user.is_active
    try:
        accounts.update_user(user.id, role=form.role.data, is_active=form.is_active.data,
                             events=form.events.data, by_user_id=current_user.id)
    except (InvalidInputError, LastAdminError, SelfDeactivationError) as failure:
        if isinstance(failure, LastAdminError) and was_active and not form.is_active.data:
            failure.field = "is_active"  # the refused change is the deactivation
        error = put_errors(form, failure)
        db.session.rollback()
        return _edit_page(db.get_or_404(User, user_id), form, PasswordResetForm(formdata=None), error, 422)
    flash(_("The account %(email)s is saved.", email=user.email), "success")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<int(max=2147483647):user_id>/password")
def user_password(user_id):
    """Reset an account's password: a typed one, or a generated one shown on the answer only."""
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    if not form.validate():
        error = _form_error(form)
    else:
        try:
            own = user.id == current_user.id  # a new password ends other sessions, not the one changing it
            user, generated = accounts.reset_password(user.id, form.password.data or None, by_user_id=current_user.id,
                                                      keep_session=session.get(SESSION_KEY) if own else None)
        except InvalidInputError as failure:
            error = put_errors(form, failure)
        else:
            if own:
                login_user(user)  # the cookie's password stamp follows the new password
            if generated:
                return _shown_once(user, generated, created=False)
            flash(_("The password of %(email)s is changed.", email=user.email), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id), 303)
    return _edit_page(db.get_or_404(User, user_id), _edit_form(user), form, error, 422)


@bp.post("/users/<int(max=2147483647):user_id>/sessions")
def user_sessions_end(user_id):
    """End every open session of an account (a lost phone, a volunteer gone home); its owner logs
    in again. An admin's own current session is kept."""
    user = db.get_or_404(User, user_id)
    if EndSessionsForm().validate():
        own = session.get(SESSION_KEY) if user.id == current_user.id else None
        ended = accounts.end_sessions(user.id, keep_token=own, by_user_id=current_user.id)
        flash(ngettext("%(num)d session of %(email)s ended.", "%(num)d sessions of %(email)s ended.", ended,
                       email=user.email), "success")
    else:
        flash(EXPIRED, "error")
    return redirect(url_for("admin.user_edit", user_id=user.id), 303)


def readable(details):
    """Turn an entry's details into (label, text) pairs for people (escaped by the template)."""
    pairs = []
    for key, value in (details or {}).items():
        if isinstance(value, str) and value in DETAIL_VALUES.get(key, {}):
            text = str(DETAIL_VALUES[key][value])
        elif isinstance(value, bool):
            text = _("yes") if value else _("no")
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value) or (_("every event") if key == "events" else _("none"))
        elif isinstance(value, dict):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = str(value)
        pairs.append((str(DETAILS.get(key) or key.replace("_", " ")), text))
    return pairs


def _before_arg():
    raw = request.args.get("before", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) < 2**31 else None


@bp.get("/audit")
def audit_log():
    """The audit log, newest first, 50 entries a page; filtered by the kind of subject."""
    kinds = sorted(db.session.scalars(sa.select(AuditEntry.subject_type).distinct()).all())
    kind = request.args.get("kind", "")
    if kind not in kinds:
        kind = ""
    rows = audit.recent(limit=AUDIT_PAGE + 1, before_id=_before_arg(), subject_type=kind or None)
    older = rows[AUDIT_PAGE - 1][0].id if len(rows) > AUDIT_PAGE else None
    entries = [{
        "id": entry.id,
        "at": entry.created_at,
        "who": email,
        "what": ACTIONS.get(entry.action, entry.action),
        "action": entry.action,
        "subject": SUBJECTS.get(entry.subject_type, entry.subject_type),
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "details": readable(entry.details),
    } for entry, email in rows[:AUDIT_PAGE]]
    return render_template(
        "admin/audit.html", entries=entries, kinds=[(k, SUBJECTS.get(k, k)) for k in kinds], kind=kind,
        older=older, first_page=_before_arg() is None,
    )
