"""Error pages that tell the person what went wrong and what to do next."""
from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from .api import http_error as api_http_error
from .extensions import db


def _page(status, title, message):
    return render_template("errors/error.html", title=title, message=message), status


def register(app):
    """Register the handlers on `app`."""

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/api/"):
            return api_http_error(error)
        messages = {
            400: (_("Bad request"), _("We could not understand that request. Please go back and try again.")),
            403: (_("Not allowed"), _("Your account cannot open this page. Ask an organiser if you need it.")),
            404: (_("Page not found"), _("This page does not exist. Check the link, or start from the festival page.")),
            405: (_("Not allowed"), _("This page cannot be used that way. Please go back and try again.")),
            413: (_("Too much data"), _("What you sent is too large. Please shorten it and try again.")),
            429: (_("Too many attempts"), _("Too many attempts from your connection. Please wait a minute and try again.")),
        }
        fallback = (_("This did not work"), _("Please go back and try again. If it happens again, tell the organizers."))
        title, message = messages.get(error.code, fallback)
        return _page(error.code, title, message)

    @app.errorhandler(Exception)
    def server_error(error):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        app.logger.exception("unhandled error")
        if request.path.startswith("/api/"):
            return api_http_error(error)
        return _page(
            500,
            _("Something went wrong"),
            _("Nothing was saved. Please try again in a moment."),
        )
