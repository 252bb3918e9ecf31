"""Back office: one person's data, found by e-mail address (see it, download it, erase it), and
what the purge of old screenings has left to do.

The address travels in POST bodies only, never in a URL: URLs end up in logs and histories.
"""
import json

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField

from ..errors import InvalidInputError, NotFoundError, RegistrationChangedError
from ..models import RegistrationStatus, utcnow
from ..services import personal_data, privacy
from . import bp

EXPIRED = _l("This form had expired. Please try again.")
NOTHING = _l("Nothing is stored about this e-mail address.")


class LookupForm(FlaskForm):
    """The address of the person who asked."""

    email = StringField(_l("Email"), render_kw={"type": "email", "autocomplete": "off", "spellcheck": "false",
                                               "maxlength": 254})
    submit = SubmitField(_l("Look up"))


class ExportForm(FlaskForm):
    email = HiddenField()
    submit = SubmitField(_l("Download their data (JSON)"))


class EraseForm(FlaskForm):
    email = HiddenField()
    submit = SubmitField(_l("Erase their data…"))


class ConfirmEraseForm(FlaskForm):
    email = HiddenField()
    submit = SubmitField(_l("Yes, erase their data"))


def _lookup_form(typed):
    """The lookup form holding what was typed (an absurdly long text is cut: it is shown again)."""
    return LookupForm(formdata=None, data={"email": (typed or "")[:personal_data.EMAIL_MAX_TYPED]})


def _home(form=None, error=None, notice=None, status=200):
    days = current_app.config["PRIVACY_KEEP_DAYS"]
    valid = isinstance(days, int) and not isinstance(days, bool) and 0 <= days <= 36500
    return render_template(
        "admin/privacy.html", form=form or LookupForm(formdata=None), error=error, notice=notice,
        keep_days=days if valid else None, todo=privacy.pending(privacy.ended_screening_ids(days)) if valid else None,
    ), status


def _person(form):
    """Validate an action's form and find the person: (PersonData, None) or (None, an error page)."""
    lookup = _lookup_form(form.email.data)
    if not form.validate():
        return None, _home(lookup, str(EXPIRED), status=422)
    try:
        data = personal_data.find(form.email.data)
    except InvalidInputError as failure:
        lookup.email.errors = [failure.fields["email"]]
        return None, _home(lookup, str(failure.message), status=422)
    if data.is_empty:
        return None, _home(lookup, notice=str(NOTHING), status=404)
    return data, None


@bp.route("/privacy", methods=["GET", "POST"], endpoint="privacy")
def privacy_home():
    """Look up what is stored about an e-mail address; the purge's setting and backlog."""
    if request.method == "GET":
        return _home()
    form = LookupForm()
    if not form.validate():
        return _home(_lookup_form(form.email.data), str(EXPIRED), status=422)
    try:
        data = personal_data.find(form.email.data)
    except InvalidInputError as failure:
        form = _lookup_form(form.email.data)
        form.email.errors = [failure.fields["email"]]
        return _home(form, str(failure.message), status=422)
    if data.is_empty:
        return _home(form, notice=str(NOTHING))
    carried = {"email": form.email.data}
    return render_template(
        "admin/privacy_person.html", data=data, export_form=ExportForm(formdata=None, data=carried),
        erase_form=EraseForm(formdata=None, data=carried),
    )


@bp.post("/privacy/export")
def privacy_export():
    """Download everything stored about the address as a JSON file (audited, without the address)."""
    data, page = _person(ExportForm())
    if page:
        return page
    body = json.dumps(personal_data.as_json(data), ensure_ascii=False, indent=2)
    personal_data.record_export(data, current_user.id)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="personal-data.json"'
    response.headers["Cache-Control"] = "no-store"  # personal data: no copies in caches
    return response


@bp.post("/privacy/erase")
def privacy_erase():
    """Say what erasing the address's data will do, and ask to confirm."""
    form = EraseForm()
    data, page = _person(form)
    if page:
        return page
    if not data.registrations and not data.previews:
        return _home(_lookup_form(form.email.data), notice=_("No registration is stored for this e-mail address."), status=404)
    now = utcnow()
    coming = [r for r in data.registrations
              if r.status != RegistrationStatus.CANCELLED.value and r.screening.starts_at > now]
    return render_template(
        "admin/privacy_erase.html", data=data, coming=coming,
        form=ConfirmEraseForm(formdata=None, data={"email": form.email.data}),
    )


@bp.post("/privacy/erase/confirm")
def privacy_erase_confirm():
    """Erase: cancel the coming registrations (seats to the waiting list), then anonymise."""
    form = ConfirmEraseForm()
    lookup = _lookup_form(form.email.data)
    if not form.validate():
        return _home(lookup, str(EXPIRED), status=422)
    try:
        result = personal_data.erase(form.email.data, user_id=current_user.id)
    except InvalidInputError as failure:
        lookup.email.errors = [failure.fields["email"]]
        return _home(lookup, str(failure.message), status=422)
    except NotFoundError as failure:
        return _home(lookup, notice=str(failure.message), status=404)
    except RegistrationChangedError as failure:  # bookings moved at every try: nothing was written
        return _home(lookup, str(failure.message), status=409)
    text = ngettext("Erased: %(num)d registration anonymised.", "Erased: %(num)d registrations anonymised.",
                    result.registrations)
    if result.cancelled:
        text += " " + ngettext("%(num)d was cancelled first;", "%(num)d were cancelled first;", result.cancelled)
        text += " " + ngettext("%(num)d person from the waiting list got a seat.",
                               "%(num)d people from the waiting list got a seat.", result.promoted)
    flash(text, "success")
    return redirect(url_for("admin.privacy"), 303)
