"""Security on every answer: response headers, cookies, the proxy in front, and the rate limits.

Every limit is here, read from the config at each request (instance/config.py may change them);
the views only put the decorators on. Counters live in RATELIMIT_STORAGE_URI: memory:// counts
per process, redis://... is shared by every process and host.
"""
import hashlib
import hmac
import math
import time

from flask import current_app, request
from flask_login import current_user
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import client_network, limiter
from .services.inputs import clean_email

# No inline script or style on any page: code and styles come from /static and /staff/vendor,
# data for scripts from <script type="application/json"> blocks (never executed).
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The door's QR decoder (zxing-wasm) compiles WebAssembly, which needs 'wasm-unsafe-eval'
# (Chromium refuses the module without it): only the door page gets it.
WASM_ENDPOINTS = {"staff.door"}
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
# Staff pages and API answers name attendees: the door phone or the office laptop that others use
# keeps no copy of them in its HTTP cache (the door's offline copy is kept by its service worker,
# on purpose, and forgotten at logout). Scripts, styles and the public pages are cached as usual;
# an attendee's own ticket page too, so that it still opens at the door with no network.
NO_STORE_PREFIXES = ("/staff/", "/admin/", "/api/")
NO_STORE_TYPES = {"text/html", "application/json"}


def content_security_policy(wasm=False):
    """Return the Content-Security-Policy header value (with WebAssembly for the door page)."""
    directives = dict(CSP)
    if wasm:
        directives["script-src"] += " 'wasm-unsafe-eval'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


POLICY = content_security_policy()
DOOR_POLICY = content_security_policy(wasm=True)


def add_headers(response):
    """Put the security headers on `response` (pages, API, static files and errors alike)."""
    headers = response.headers
    headers["Content-Security-Policy"] = DOOR_POLICY if request.endpoint in WASM_ENDPOINTS else POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"  # frame-ancestors, for browsers that predate it
    # Private links (/r/<secret>) never leave in a Referer: other sites get none from any page,
    # and the private pages send none at all.
    headers["Referrer-Policy"] = "no-referrer" if request.path.startswith("/r/") else "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if (request.path.startswith(NO_STORE_PREFIXES) and response.mimetype in NO_STORE_TYPES
            and "Cache-Control" not in headers):
        headers["Cache-Control"] = "no-store"
    if request.is_secure and current_app.config["HSTS_MAX_AGE"]:
        headers["Strict-Transport-Security"] = f"max-age={int(current_app.config['HSTS_MAX_AGE'])}"
    return response


def register(app):
    """Trust the configured proxies, secure the cookies, add the headers to every response."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # The proxy's X-Forwarded-For gives the client's address (rate limits), X-Forwarded-Proto
        # says https (request.is_secure: HSTS). Only headers that the proxy sets are trusted.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.config.setdefault("REMEMBER_COOKIE_SECURE", secure)
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.after_request(add_headers)


# Rate limit keys ------------------------------------------------------------------------------

def _setting(name):
    return lambda: current_app.config[name]


def _submitted_email():
    """The e-mail address a form sent, as the app compares addresses (email_validator's form: a
    full-width or ideographic spelling of a domain is the same address, and the same counter);
    text that is no address, stripped and casefolded."""
    typed = request.form.get("email") or ""
    try:
        return clean_email(typed)[1]
    except ValueError:
        return typed.strip().casefold()


def email_key():
    """The submitted e-mail address, as a keyed hash: no address is written to the counters."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    digest = hmac.new(secret, _submitted_email().encode(), hashlib.sha256).hexdigest()
    return "email:" + digest[:32]


def caller_key():
    """The API caller: its device token (hashed), else its staff user, else its address.

    Works before the API has authenticated the caller (a blueprint-wide limit runs first).
    """
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
    return staff_key()


def staff_key():
    """The logged-in staff user, else the client's address (an IPv6 /64: client_network)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "address:" + client_network()


def _failed_lookup(response):
    return response.status_code == 404


def login_account_key():
    """The account a login form names, as a keyed hash (an address that has no account counts
    the same, so that a refusal says nothing of whether it has one)."""
    return email_key().replace("email:", "account:", 1)


# Counters the views hit themselves, where a decorator cannot count the right thing -------------

_RETRY_AFTER = "ticketing.retry_after"  # this request's wait, in its WSGI environ (g may outlive it in tests)


def count(setting, scope, key, cost=1):
    """Count `cost` more for `key` against each limit of the setting `setting` ("10 per minute;
    60 per hour"), in the limits' store; return the seconds to wait when one is used up (the
    attempt is refused), else None. A negative `cost` gives counted attempts back (fixed windows,
    which can: a moving window cannot give back)."""
    if not limiter.enabled:  # RATELIMIT_ENABLED = False: no limit counts
        return None
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    waits = []
    for item in parse_many(current_app.config[setting]):
        try:
            strategy = FixedWindowRateLimiter(limiter.limiter.storage)
            allowed = strategy.hit(item, prefix, scope, key, cost=cost)
        except Exception:  # noqa: BLE001  the shared store is down: count in this process meanwhile
            current_app.logger.warning("rate limit store unreachable: counting %s in memory", scope)
            strategy = FixedWindowRateLimiter(limiter._fallback_limiter.storage)  # RATELIMIT_IN_MEMORY_FALLBACK_ENABLED
            allowed = strategy.hit(item, prefix, scope, key, cost=cost)
        if not allowed and cost > 0:
            reset = strategy.get_window_stats(item, prefix, scope, key).reset_time
            waits.append(max(1, math.ceil(reset - time.time())))
    if waits:
        request.environ[_RETRY_AFTER] = max(waits)  # for the 429's Retry-After (retry_after())
    return max(waits) if waits else None


# The limits ------------------------------------------------------------------------------------

def _repeat_signup(response):
    """A sign-up for an address already registered: it books nothing and e-mails the ticket again."""
    return response.status_code == 303 and response.location.rstrip("/").endswith("/sent")


# Sign-up submissions per client address; and, per e-mail address, the repeats that send that
# address its ticket again (someone mailing a person over and over from many places). Only
# repeats count per e-mail: a forged form (no valid CSRF token), an invalid one or a new booking
# never does, so that no one can use up a person's count without making the app write to them.
# Once repeats have used it up, that address's sign-ups wait for the window like any other.
_signups_per_address = limiter.limit(_setting("SIGNUP_LIMIT"), methods=["POST"])
_signups_per_email = limiter.limit(
    _setting("SIGNUP_EMAIL_LIMIT"), key_func=email_key, methods=["POST"],
    exempt_when=lambda: not _submitted_email(), deduct_when=_repeat_signup,
)


def limit_signups(view):
    """Limit a sign-up view's submissions per client address and per e-mail address."""
    return _signups_per_address(_signups_per_email(view))


# Find my ticket, per client address and per e-mail address asked for (keyed hash). Only requests
# that are answered "sent" count (a forged or expired form never does), and they count the same
# whether or not the address holds a booking: the limit says nothing about it either.
def _find_answered(response):
    return response.status_code == 303


_finds_per_address = limiter.limit(_setting("FIND_TICKET_LIMIT"), methods=["POST"], deduct_when=_find_answered)
_finds_per_email = limiter.limit(
    _setting("FIND_TICKET_EMAIL_LIMIT"), key_func=email_key, methods=["POST"],
    exempt_when=lambda: not _submitted_email(), deduct_when=_find_answered,
)


def limit_ticket_finds(view):
    """Limit Find my ticket's requests per client address and per e-mail address."""
    return _finds_per_address(_finds_per_email(view))


# Guessing private links is throttled per client address (R4). Only failed look-ups count, so
# opening one's own link never uses up the limit; but once an address has failed too often, all
# its look-ups are refused until the window passes (answering hits while refusing misses would
# let the guessing go on). Every /r/ route shares the one budget: not one budget per route.
limit_link_lookups = limiter.shared_limit(
    _setting("LOOKUP_FAILURE_LIMIT"), scope="private-links", deduct_when=_failed_lookup)

# Look-ups by ticket code (R4), per caller, one budget shared by the API's scans and searches
# and the door's scan form (without JavaScript): a staff user's key is the same in both.
# On the API it comes on top of the limit on every request (override_defaults=False keeps the
# blueprint-wide limit on these routes too).
limit_api_lookups = limiter.shared_limit(
    _setting("API_LOOKUP_LIMIT"), scope="ticket-lookups", key_func=caller_key, override_defaults=False)
limit_door_scans = limiter.shared_limit(
    _setting("API_LOOKUP_LIMIT"), scope="ticket-lookups", key_func=staff_key, methods=["POST"])
limit_api = limiter.limit(_setting("API_LIMIT"), key_func=caller_key)  # applied to the API blueprint
# The door's name search, per device or staff user: enough for every forgotten ticket of a busy
# door, far too few to list a screening's attendees (README, "Threat model"; bench/door_search.py).
limit_door_search = limiter.limit(_setting("DOOR_SEARCH_LIMIT"), key_func=caller_key, override_defaults=False)


def retry_after():
    """Seconds until the limit that refused this request lets it through again (at least 1)."""
    if request.environ.get(_RETRY_AFTER):
        return request.environ[_RETRY_AFTER]
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.window[0] - time.time()))
