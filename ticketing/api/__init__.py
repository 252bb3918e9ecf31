"""The JSON API under /api/v1: for the door page, outside scanners and partners' systems.

Callers authenticate with a staff session (and then send the CSRF token in an X-CSRFToken header
on every change) or with `Authorization: Bearer <device token>`. Errors are JSON:
{"error": {"kind": ..., "message": ..., "fields": {...}}}.
"""
from flask import Blueprint, abort, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from ..errors import InvalidInputError, NotFoundError, TicketingError
from ..extensions import client_network
from ..security import count, limit_api
from ..services import accounts

bp = Blueprint("api", __name__)
limit_api(bp)  # every API request, per device token, staff user or address (API_LIMIT)

# Domain errors that are not "not found" or "bad input" are conflicts with the current state.
_STATUS = {NotFoundError: 404, InvalidInputError: 422}
PUBLIC_ENDPOINTS = {"api.openapi"}
# What an HTTP error says to a caller, in the caller's language (Accept-Language), when the code
# that raised it gave no words of its own; `kind` stays the machine-readable part.
_HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Log in, or send a device token: Authorization: Bearer <token>."),
    403: _l("This account may not do that."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    413: _l("What you sent is too large."),
    415: _l("Send a JSON object, with Content-Type: application/json."),
    429: _l("Too many requests. Please wait a moment and try again."),
    500: _l("Something went wrong; nothing was saved."),
}


def api_error(status, kind, message, fields=None):
    """Return the contract's JSON error response."""
    response = jsonify({"error": {"kind": kind, "message": str(message), "fields": fields or {}}})
    response.status_code = status
    return response


@bp.before_request
def authenticate():
    """Recognise the caller by bearer token or staff session; check CSRF for a session's changes."""
    g.api_device = g.api_user = None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        g.api_device = accounts.device_for_token(header[7:].strip())
        if g.api_device is None:
            # Made-up tokens count per client address (each one would otherwise have a budget of
            # its own under API_LIMIT); a known token is never refused for them.
            if count("BEARER_FAILURE_LIMIT", "bearer-failures", "address:" + client_network()):
                abort(429)
            return api_error(401, "unauthorized", _("This device token is unknown or revoked."))
        return None
    if current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except (ValidationError, CSRFError):
                return api_error(403, "csrf_failed", _("Send the page's CSRF token in the X-CSRFToken header."))
        return None
    if request.endpoint not in PUBLIC_ENDPOINTS:
        return api_error(401, "unauthorized", _HTTP_MESSAGES[401])
    return None


@bp.errorhandler(TicketingError)
def domain_error(error):
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 409)
    return api_error(status, error.code, error.message, getattr(error, "fields", None))


def http_error(error):
    """The JSON form of an HTTP error on an API path (used by the app's error handler)."""
    kinds = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type", 429: "rate_limited"}
    code = error.code if isinstance(error, HTTPException) else 500
    own_words = (isinstance(error, HTTPException) and error.description != type(error).description
                 and code != 429)  # flask-limiter's own words are the limit ("10 per 1 minute")
    message = error.description if own_words else _HTTP_MESSAGES.get(code) or (
        error.description if isinstance(error, HTTPException) else _HTTP_MESSAGES[500])
    return api_error(code, kinds.get(code, "server_error"), message)


from . import views  # noqa: E402,F401  (routes register on bp)
