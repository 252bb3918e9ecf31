"""Back office: an event's or a screening's texts in the other languages, one tab per language."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import InvalidInputError
from ..extensions import db
from ..formatting import LANGUAGE_NAMES
from ..formerrors import put_errors
from ..models import Event, Screening
from ..services import texts as service
from . import bp
from .event_forms import TextsForm

_KINDS = {"events": Event, "screenings": Screening}


@bp.route("/<any(events, screenings):kind>/<int(max=2147483647):item_id>/texts/<locale>", methods=["GET", "POST"])
def texts(kind, item_id, locale):
    """The texts of an event or a screening in `locale`, beside the main language's; which are
    missing in each language."""
    model = _KINDS[kind]
    item = db.get_or_404(model, item_id)
    if locale not in service.other_languages(item):
        abort(404)
    fields = list(service.TRANSLATABLE[model])
    form = TextsForm()
    error = None
    if request.method == "GET":
        for name in fields:
            form[name].data = ((item.texts or {}).get(locale) or {}).get(name, "")
    elif not form.validate():
        error = _("This form had expired. Your entries are kept: please save again.")
    else:
        try:
            service.save(model, item_id, locale, {name: form[name].data for name in fields}, user_id=current_user.id)
        except InvalidInputError as failure:
            error = put_errors(form, failure, _("Please correct the marked fields. Nothing was saved."))
        else:
            flash(_("The texts in %(language)s are saved.", language=LANGUAGE_NAMES.get(locale, locale)), "success")
            return redirect(url_for("admin.texts", kind=kind, item_id=item_id, locale=locale), 303)
        db.session.refresh(item)
    event = item if model is Event else item.event
    back = (url_for("admin.event", event_id=item.id) if model is Event
            else url_for("admin.screening_edit", screening_id=item.id))
    return render_template(
        "admin/texts.html", item=item, kind=kind, event=event, locale=locale, form=form, fields=fields,
        error=error, names=LANGUAGE_NAMES, back=back,
        title=item.name if model is Event else item.title, main=service.main_language(item),
    ), 422 if error else 200
