"""Default settings; everything a deployment changes comes from the environment."""
import os
import secrets
import tempfile
from pathlib import Path

ENV_KEYS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USE_TLS",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "PUBLIC_URL",
    "RATELIMIT_STORAGE_URI",
    "SESSION_COOKIE_SECURE",
    "TICKET_FONT_DIR",
    "TRUSTED_PROXIES",
    "RATELIMIT_KEY_PREFIX",
    "PRIVACY_KEEP_DAYS",
    "BOOKING_HOLD_MINUTES",
    "TICKETING_ENV",
    "LOG_LEVEL",
)


class Defaults:
    """Settings used when neither instance/config.py nor the environment says otherwise."""

    # "production" (gunicorn.conf.py sets it): JSON logs, unsafe settings refused at start-up
    # (ticketing/production.py). Anything else: development, readable logs.
    TICKETING_ENV = "development"
    LOG_LEVEL = "INFO"  # of the app's own loggers (ticketing.*)
    DATABASE_URL = None  # SQLite file in instance/ when unset
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SECRET_KEY = None  # generated into instance/secret_key when unset
    MAX_CONTENT_LENGTH = 512 * 1024
    # A CSRF token is bound to its session and lives as long as it: a door page or a form left
    # open for hours keeps working (a time limit made every scan fail after an hour).
    WTF_CSRF_TIME_LIMIT = None
    # Our own messages are shown, never WTForms' built-in ones: skip loading its catalogs.
    WTF_I18N_ENABLED = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set SESSION_COOKIE_SECURE=1 when served over HTTPS
    PERMANENT_SESSION_LIFETIME = 12 * 3600  # a staff login lasts a festival day (accounts.user_for_session)
    REMEMBER_COOKIE_DURATION = 12 * 3600
    # Rate limits (Flask-Limiter's notation; see ticketing/security.py and the README): a venue's
    # shared Wi-Fi with 50 sign-ups at once, or a door scanning 200 people in 15 minutes, stays
    # well within them.
    SIGNUP_LIMIT = "120 per minute; 1000 per hour"  # sign-up submissions per client address
    SIGNUP_EMAIL_LIMIT = "10 per minute; 30 per hour"  # sign-up submissions per e-mail address
    LOGIN_LIMIT = "10 per minute; 60 per hour"  # failed logins per client address
    LOGIN_ACCOUNT_LIMIT = "5 per minute; 20 per hour"  # failed logins per e-mail address typed
    BEARER_FAILURE_LIMIT = "20 per minute; 100 per hour"  # unknown device tokens per client address
    API_LIMIT = "600 per minute"  # every API request per device token, staff user or address
    API_LOOKUP_LIMIT = "300 per minute"  # scans and ticket searches per device or staff user
    DOOR_SEARCH_LIMIT = "30 per minute; 200 per hour"  # the door's searches per device or staff user
    FIND_TICKET_LIMIT = "20 per minute; 200 per hour"  # Find my ticket requests per client address
    FIND_TICKET_EMAIL_LIMIT = "3 per hour; 10 per day"  # Find my ticket e-mails per address asked for
    # Behind a reverse proxy that terminates TLS: how many proxies to trust for X-Forwarded-For
    # and X-Forwarded-Proto (the client's address for rate limits; https for HSTS). 0: none.
    TRUSTED_PROXIES = 0
    HSTS_MAX_AGE = 365 * 24 * 3600  # Strict-Transport-Security, sent on answers over HTTPS only
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "tickets@localhost"
    MAIL_TIMEOUT = 30  # seconds per SMTP operation
    # Where links in e-mails point (the sender runs outside any request): the site's address as
    # attendees reach it, e.g. https://tickets.example.org
    PUBLIC_URL = "http://127.0.0.1:5000"
    # The outbox's sender (services.mailer): a claim lasts OUTBOX_LEASE_SECONDS (longer than one
    # SMTP exchange); a failure waits OUTBOX_RETRY_SECONDS, doubling up to OUTBOX_RETRY_MAX_SECONDS;
    # after OUTBOX_MAX_ATTEMPTS failures the message is given up and shown to organizers.
    OUTBOX_LEASE_SECONDS = 300
    OUTBOX_RETRY_SECONDS = 60
    OUTBOX_RETRY_MAX_SECONDS = 3600
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_POLL_SECONDS = 5  # `flask outbox run` looks for new messages this often
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_KEY_PREFIX = "ticketing"  # keys in a shared Redis start with LIMITS:LIMITER/ticketing/
    # A moving window: no 60 seconds ever see more than a limit's "per minute" (a fixed window let
    # twice as many through around its boundary), and Retry-After is when the oldest hit leaves it.
    RATELIMIT_STRATEGY = "moving-window"
    # IPv6 clients are counted per network of this many leading bits: a /64 is one phone or one
    # home's network; 56 or 48 also groups the several /64s that some providers give one customer.
    RATELIMIT_IPV6_PREFIX = 64
    # A refusal says when to retry (Retry-After); no X-RateLimit-* counts on every answer.
    RATELIMIT_HEADERS_ENABLED = False
    # Redis unreachable: count in each process's memory meanwhile (logged), rather than answer 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}  # for redis://
    # Failed self-service lookups allowed per client address (R4: links cannot be enumerated).
    LOOKUP_FAILURE_LIMIT = "20 per minute"
    BABEL_DEFAULT_LOCALE = "en"
    # PDF tickets embed DejaVu Sans (Debian: fonts-dejavu-core) for Kazakh, Turkish and French.
    TICKET_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
    # The languages of the pages, e-mails and PDFs; a reader's choice is kept in this cookie.
    LANGUAGES = ["en", "fr", "nl", "kk", "ru"]
    LANGUAGE_COOKIE = "lang"
    # `flask privacy purge` anonymises the attendees of screenings that ended more than this many
    # days ago (services.privacy).
    PRIVACY_KEEP_DAYS = 90
    # At an event that asks for e-mail confirmation, a public booking keeps its seats this many
    # minutes for the link in its e-mail to be followed; then they go back (services/holds.py).
    BOOKING_HOLD_MINUTES = 15


def from_environment(environ=os.environ):
    """Return the settings present in the environment, typed."""
    found = {key: environ[key] for key in ENV_KEYS if environ.get(key)}
    if "MAIL_PORT" in found:
        found["MAIL_PORT"] = int(found["MAIL_PORT"])
    if "TRUSTED_PROXIES" in found:
        found["TRUSTED_PROXIES"] = int(found["TRUSTED_PROXIES"])
    for number in ("PRIVACY_KEEP_DAYS", "BOOKING_HOLD_MINUTES"):
        if number in found:
            found[number] = int(found[number])
    for flag in ("MAIL_USE_TLS", "SESSION_COOKIE_SECURE"):
        if flag in found:
            found[flag] = found[flag].lower() in {"1", "true", "yes", "on"}
    return found


def database_uri(url, instance_path):
    """Turn DATABASE_URL (or nothing) into an SQLAlchemy URI with a known driver."""
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "ticketing.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret_key(instance_path):
    """Read the generated secret key from instance/, creating it on first use.

    The key is written to a private temporary file and then linked into place, so that a
    process starting at the same moment sees either no key file or a complete one.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it to have a new key generated")
    return key
