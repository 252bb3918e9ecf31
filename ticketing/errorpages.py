"""Error pages that tell the person what went wrong and what to do next."""
from flask import current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .api import http_error as api_http_error
from .extensions import db
from .security import retry_after


def _page(status, title, message):
    return render_template("errors/error.html", title=title, message=message), status


def _rate_limited():
    """A refusal by a rate limit: the page or the API's JSON, saying how long to wait."""
    seconds = retry_after()
    if seconds <= 90:
        wait = ngettext("Please wait %(num)d second, then try again.",
                        "Please wait %(num)d seconds, then try again.", seconds)
    else:  # an hourly limit
        wait = ngettext("Please wait %(num)d minute, then try again.",
                        "Please wait %(num)d minutes, then try again.", -(-seconds // 60))
    if request.path.startswith("/api/"):
        response = jsonify({"error": {
            "kind": "rate_limited", "message": _("Too many requests.") + " " + wait, "fields": {},
            "retry_after": seconds,
        }})
        response.status_code = 429
    else:
        response = make_response(_page(
            429, _("Too many attempts"), _("There were too many attempts in a short time.") + " " + wait))
    response.headers["Retry-After"] = str(seconds)
    return response


# Seconds a client is asked to wait while the database is unreachable.
UNAVAILABLE_RETRY_AFTER = 5


def _unavailable():
    """The database cannot be reached (restarting, say): 503, nothing saved, try again shortly.
    The pool checks connections before use (pool_pre_ping), so the app recovers by itself."""
    current_app.logger.warning("database unavailable: answered 503")
    message = _("Nothing was saved. Please try again in a few seconds.")
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"kind": "unavailable", "message": message, "fields": {}}})
        response.status_code = 503
    else:
        response = make_response(_page(503, _("Back in a moment"), message))
    response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return response


def register(app):
    """Register the handlers on `app`."""

    @app.errorhandler(HTTPException)
    def http_error(error):
        response = make_response(_http_error(error))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:  # RFC 9110: name what is allowed
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    def _http_error(error):
        if error.code == 429:
            return _rate_limited()
        if request.path.startswith("/api/"):
            return api_http_error(error)
        messages = {
            400: (_("Bad request"), _("We could not understand that request. Please go back and try again.")),
            403: (_("Not allowed"), _("Your account cannot open this page. Ask an organiser if you need it.")),
            404: (_("Page not found"), _("This page does not exist. Check the link, or start from the festival page.")),
            405: (_("Not allowed"), _("This page cannot be used that way. Please go back and try again.")),
            413: (_("Too much data"), _("What you sent is too large. Please shorten it and try again.")),
        }
        fallback = (_("This did not work"), _("Please go back and try again. If it happens again, tell the organizers."))
        title, message = messages.get(error.code, fallback)
        return _page(error.code, title, message)

    @app.errorhandler(Exception)
    def server_error(error):
        if isinstance(error, HTTPException):
            return http_error(error)
        try:
            db.session.rollback()
        except SQLAlchemyError:  # the connection itself is gone: the pool replaces it
            db.session.remove()
        if isinstance(error, OperationalError):  # the database is down, restarting or busy
            return _unavailable()
        app.logger.exception("unhandled error")
        if request.path.startswith("/api/"):
            return api_http_error(error)
        return _page(
            500,
            _("Something went wrong"),
            _("Nothing was saved. Please try again in a moment."),
        )
