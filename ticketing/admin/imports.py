"""Back office: import a guest list from a CSV file, with a preview before anything is written."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import get_locale, ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import TicketingError
from ..extensions import db
from ..models import Screening
from ..services import imports
from . import bp
from .attendee_forms import ConfirmImportForm, ImportForm

EXPIRED = _l("This form had expired. Please upload the file again.")
TOO_LARGE = _l("The file is too large: at most %(mb)d MB. Please split it.", mb=imports.MAX_BYTES // (1024 * 1024))


def _upload_page(screening, form, error=None, status=None):
    return render_template(
        "admin/import_upload.html", screening=screening, form=form, error=error,
        max_mb=imports.MAX_BYTES // (1024 * 1024), max_rows=imports.MAX_ROWS,
    ), status or (422 if error else 200)


@bp.route("/screenings/<int(max=2147483647):screening_id>/import", methods=["GET", "POST"])
def guest_import(screening_id):
    """Upload a CSV guest list; a good file leads to its preview (nothing is written yet)."""
    screening = db.get_or_404(Screening, screening_id)
    if request.method == "GET":
        return _upload_page(screening, ImportForm())
    # This page takes larger bodies than the rest of the site (a form field's share on top).
    request.max_content_length = imports.MAX_BYTES + 64 * 1024
    try:
        if (request.content_length or 0) > request.max_content_length:
            raise RequestEntityTooLarge()
        form = ImportForm()
        if not form.validate():
            return _upload_page(screening, form, str(EXPIRED))
    except RequestEntityTooLarge:
        return _upload_page(screening, ImportForm(formdata=None), str(TOO_LARGE))
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("Please choose the CSV file of the guest list.")]
        return _upload_page(screening, form, form.file.errors[0])
    data = upload.read(imports.MAX_BYTES + 1)
    try:
        preview = imports.build_preview(screening.id, data, default_language=str(get_locale()))
    except TicketingError as failure:
        form.file.errors = [str(failure.message)]
        return _upload_page(screening, form, str(failure.message))
    token = imports.save_preview(preview, screening.id, current_user.id, upload.filename)
    return redirect(url_for("admin.guest_import_preview", screening_id=screening.id, token=token), 303)


@bp.route("/screenings/<int(max=2147483647):screening_id>/import/<token>", methods=["GET"])
def guest_import_preview(screening_id, token):
    """The preview of an uploaded guest list: every row, its errors, and Confirm when all is well."""
    screening = db.get_or_404(Screening, screening_id)
    try:
        preview, filename = imports.load_preview(token, screening.id, current_user.id)
    except imports.ImportExpiredError as failure:
        return _upload_page(screening, ImportForm(formdata=None), str(failure.message), 404)
    return render_template(
        "admin/import_preview.html", screening=screening, preview=preview, filename=filename, token=token,
        form=ConfirmImportForm(), error=None,
    ), 200 if preview.is_ok else 422


@bp.route("/screenings/<int(max=2147483647):screening_id>/import/<token>", methods=["POST"])
def guest_import_confirm(screening_id, token):
    """Add the previewed guests, all or none, then show them in the attendee list."""
    screening = db.get_or_404(Screening, screening_id)
    form = ConfirmImportForm()
    error = None
    if not form.validate():
        error = _("This form had expired. Please press Confirm again.")
    else:
        try:
            added = imports.confirm(token, screening.id, current_user.id, skip_bad=request.form.get("skip_bad") == "1")
        except imports.ImportExpiredError as failure:
            return _upload_page(screening, ImportForm(formdata=None), str(failure.message), 404)
        except TicketingError as failure:
            db.session.rollback()
            error = str(failure.message)
        else:
            flash(ngettext("%(num)d guest added.", "%(num)d guests added.", len(added)), "success")
            return redirect(url_for("admin.attendees", screening_id=screening.id, source="guest", sort="newest"), 303)
    screening = db.session.get(Screening, screening_id)
    try:
        preview, filename = imports.load_preview(token, screening.id, current_user.id)
    except imports.ImportExpiredError as failure:
        return _upload_page(screening, ImportForm(formdata=None), str(failure.message), 404)
    return render_template(
        "admin/import_preview.html", screening=screening, preview=preview, filename=filename, token=token,
        form=ConfirmImportForm(), error=error,
    ), 422
